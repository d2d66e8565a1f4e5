//! Terraform's built-in functions, evaluated on Terraform source.
//!
//! `TERRAFORM_FUNCTIONS` is the function table of Terraform's own evaluator
//! (`internal/lang/functions.go` in hashicorp/terraform at commit 883c7221,
//! the 1.17 development line), which the function documentation is generated
//! from. A function Terraform has and mcpguard lacks fails
//! `every_terraform_function_is_known`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mcpguard::load::hcl::{load, HclOptions, HclOutput, FUNCTIONS};
use serde_json::{json, Value};

/// Terraform's function table, `type` aside (it exists only in `terraform console`).
const TERRAFORM_FUNCTIONS: &[&str] = &[
    "abs",
    "abspath",
    "alltrue",
    "anytrue",
    "base64decode",
    "base64encode",
    "base64gzip",
    "base64sha256",
    "base64sha512",
    "basename",
    "bcrypt",
    "can",
    "ceil",
    "chomp",
    "chunklist",
    "cidrhost",
    "cidrnetmask",
    "cidrsubnet",
    "cidrsubnets",
    "coalesce",
    "coalescelist",
    "compact",
    "concat",
    "contains",
    "convert",
    "csvdecode",
    "dirname",
    "distinct",
    "element",
    "endswith",
    "ephemeralasnull",
    "file",
    "filebase64",
    "filebase64sha256",
    "filebase64sha512",
    "fileexists",
    "filemd5",
    "fileset",
    "filesha1",
    "filesha256",
    "filesha512",
    "flatten",
    "floor",
    "format",
    "formatdate",
    "formatlist",
    "indent",
    "index",
    "issensitive",
    "join",
    "jsondecode",
    "jsonencode",
    "keys",
    "length",
    "list",
    "log",
    "lookup",
    "lower",
    "map",
    "matchkeys",
    "max",
    "md5",
    "merge",
    "min",
    "nonsensitive",
    "one",
    "parseint",
    "pathexpand",
    "plantimestamp",
    "pow",
    "range",
    "regex",
    "regexall",
    "replace",
    "reverse",
    "rsadecrypt",
    "sensitive",
    "setintersection",
    "setproduct",
    "setsubtract",
    "setunion",
    "sha1",
    "sha256",
    "sha512",
    "signum",
    "slice",
    "sort",
    "split",
    "startswith",
    "strcontains",
    "strrev",
    "substr",
    "sum",
    "templatefile",
    "templatestring",
    "textdecodebase64",
    "textencodebase64",
    "timeadd",
    "timecmp",
    "timestamp",
    "title",
    "tobool",
    "tolist",
    "tomap",
    "tonumber",
    "toset",
    "tostring",
    "transpose",
    "trim",
    "trimprefix",
    "trimspace",
    "trimsuffix",
    "try",
    "upper",
    "urlencode",
    "uuid",
    "uuidv5",
    "values",
    "yamldecode",
    "yamlencode",
    "zipmap",
];

#[test]
fn every_terraform_function_is_known() {
    let missing: Vec<&&str> = TERRAFORM_FUNCTIONS
        .iter()
        .filter(|f| !FUNCTIONS.contains(f))
        .collect();
    assert!(
        missing.is_empty(),
        "functions Terraform has and mcpguard lacks: {missing:?}"
    );
    let extra: Vec<&&str> = FUNCTIONS
        .iter()
        .filter(|f| !TERRAFORM_FUNCTIONS.contains(f))
        .collect();
    assert!(
        extra.is_empty(),
        "functions mcpguard knows that Terraform does not: {extra:?}"
    );
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/hcl")
        .join(name)
}

fn scan(name: &str) -> HclOutput {
    load(&fixture(name), &HclOptions::default())
}

fn messages(o: &HclOutput) -> Vec<String> {
    o.errors
        .iter()
        .map(|e| format!("{}: {}", e.path, e.message))
        .collect()
}

#[test]
fn machine_template_and_special_functions() {
    let o = scan("functions");
    assert!(o.errors.is_empty(), "{:?}", messages(&o));
    let r = o
        .model
        .resources
        .iter()
        .find(|r| r.address == "terraform_data.fns")
        .unwrap();
    let v = &r.values["input"];
    let want: BTreeMap<&str, Value> = [
        ("file", json!("Welcome\n")),
        ("exists", json!(true)),
        ("absent", json!(false)),
        ("plain_path", json!("relative/x")),
        (
            "sha",
            json!("0e90e1aa36481e399939d32680dab2005c299f2bb9c3ba6b151ac0cc821fec7a"),
        ),
        ("b64", json!("V2VsY29tZQo=")),
        ("names", json!(["templates/greeting.tpl"])),
        ("rendered", json!("Hi mcp: a b\n")),
        ("tstring", json!("hello world")),
        ("converted", json!({"a": "1"})),
        ("sens", json!(true)),
        ("not_sens", json!(false)),
        ("wrapped", json!(true)),
        ("core", json!("A")),
        ("version", json!("12")),
        ("contains_str", json!(true)),
        ("id", json!("a5008fae-b28c-5ba5-96cd-82b4c53552d6")),
        ("hash", json!("2aae6c35c94fcfb415dbe95f408b9ce91ee846ed")),
        ("regex_replace", json!("snet-mcp_01")),
        ("when", json!(-1)),
    ]
    .into();
    for (k, w) in &want {
        assert_eq!(&v[*k], w, "input.{k}");
    }
    // Unknown: what the machine or the provider decides, and a conditional
    // whose untaken branch would fail.
    for k in [
        "missing",
        "home",
        "outside",
        "provider_fn",
        "stamp",
        "unknown_cond",
    ] {
        assert!(v[k].is_unknown(), "input.{k} is unknown");
    }
    let notes = o.model.notes.join("\n");
    assert!(
        notes.contains("file(\"templates/nope.txt\") is unknown"),
        "{notes}"
    );
    assert!(notes.contains("home directory"), "{notes}");
    assert!(
        notes.contains("outside the project") || notes.contains("does not exist"),
        "{notes}"
    );
}

#[test]
fn a_template_cannot_render_itself() {
    let o = scan("template-loop");
    let m = messages(&o);
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].contains("templatefile(): `"), "{m:?}");
    assert!(
        m[0].contains("forbids rendering templates recursively"),
        "{m:?}"
    );
    assert!(o.errors[0].span.is_some(), "the diagnostic is located");
}

#[test]
fn values_marked_sensitive_stay_sensitive() {
    let o = scan("functions");
    let r = o
        .model
        .resources
        .iter()
        .find(|r| r.address == "terraform_data.marked")
        .unwrap();
    assert_eq!(r.sensitive, json!({"input": true, "direct": true}));
}
