//! pre-commit and the GitHub Action take flags properly (issue 16, item 8):
//! a flag's value stays a value (`--var-file env/prod.tfvars` is a variables
//! file, not a changed file), a changed `.tfvars` is scanned with the root
//! module that takes it, and the Action passes its `args` input through as
//! words. Each is run as it runs for users: `mcpguard pre-commit` directly,
//! through pre-commit itself (skipped, saying why, when it is not installed),
//! and the Action's own scan script taken from action.yml.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const BIN: &str = env!("CARGO_BIN_EXE_mcpguard");

fn run(cwd: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("run mcpguard")
}

fn write(dir: &Path, file: &str, text: &str) {
    let p = dir.join(file);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A repository: `app/` a root module whose MCP server takes its `MCPServer`
/// tag from a variable, `env/{dev,prod}.tfvars` setting it (dev wrongly),
/// and `stack/` a root calling `modules/mcp/`.
fn repo(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mcpguard-hooks-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join(".git")).unwrap();
    let fixture =
        std::fs::read_to_string(crate_root().join("fixtures/rules/MCP003/fail/main.tf")).unwrap();
    let tagged = fixture.replace(
        "    environment = \"prod\"\n",
        "    environment = \"prod\"\n    MCPServer = var.mcp_tag\n",
    ) + "\nvariable \"mcp_tag\" {\n  type = string\n}\n";
    write(&d, "app/main.tf", &tagged);
    write(&d, "env/dev.tfvars", "mcp_tag = \"false\"\n");
    write(&d, "env/prod.tfvars", "mcp_tag = \"true\"\n");
    write(
        &d,
        "stack/main.tf",
        "module \"mcp\" {\n  source = \"../modules/mcp\"\n}\n",
    );
    write(&d, "modules/mcp/main.tf", &fixture);
    d
}

fn report(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {} {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn inputs(v: &Value) -> Vec<String> {
    v["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap().to_string())
        .collect()
}

fn mcp003_status(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "MCP003")
        .map(|f| f["status"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn changed_files_map_to_the_root_modules_that_use_them() {
    let r = repo("map");
    let json = ["--only", "MCP003", "--format", "json"];
    // A changed .tf: its root, with the variable unset (unknown, not failed).
    let mut a = vec!["pre-commit"];
    a.extend(json);
    a.push("app/main.tf");
    let v = report(&run(&r, &a));
    assert_eq!(inputs(&v), ["app"]);
    assert_eq!(mcp003_status(&v), ["unknown"]);
    // A changed .tfvars: the root that declares its variables, with it.
    let mut a = vec!["pre-commit"];
    a.extend(json);
    a.push("env/dev.tfvars");
    let o = run(&r, &a);
    let v = report(&o);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(inputs(&v), ["app"], "env/ is not a root module");
    assert_eq!(mcp003_status(&v), ["fail"]);
    // A flag's value stays a value: env/prod.tfvars is the variables file.
    let mut a = vec!["pre-commit", "--var-file", "env/prod.tfvars"];
    a.extend(json);
    a.push("app/main.tf");
    let o = run(&r, &a);
    let v = report(&o);
    assert_eq!(o.status.code(), Some(0), "{v}");
    assert_eq!(inputs(&v), ["app"]);
    assert!(mcp003_status(&v).is_empty(), "the tag is set: {v}");
    // A changed module: scanned with the root that calls it.
    let mut a = vec!["pre-commit"];
    a.extend(json);
    a.push("modules/mcp/main.tf");
    let v = report(&run(&r, &a));
    assert_eq!(inputs(&v), ["stack"]);
    assert_eq!(mcp003_status(&v), ["fail"]);
    // Nothing Terraform changed: nothing to scan, and that is not a failure.
    let o = run(&r, &["pre-commit"]);
    assert_eq!(o.status.code(), Some(0));
}

/// Runs pre-commit, as a user's `git commit` would, with this repository's
/// own hook definition (language `system`, the binary under test as entry).
#[test]
fn pre_commit_passes_args_and_files_through() {
    let Ok(v) = Command::new("pre-commit").arg("--version").output() else {
        eprintln!("skipping: pre-commit is not installed (pip install pre-commit)");
        return;
    };
    assert!(v.status.success());
    let r = repo("precommit");
    std::fs::remove_dir_all(r.join(".git")).unwrap();
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .args(args)
            .current_dir(&r)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .expect("git");
        assert!(
            o.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    git(&["init", "-q"]);
    let hooks: Value = yaml_serde::from_str(
        &std::fs::read_to_string(crate_root().join(".pre-commit-hooks.yaml")).unwrap(),
    )
    .unwrap();
    let hook = &hooks[0];
    let entry = hook["entry"].as_str().unwrap().replacen("mcpguard", BIN, 1);
    let config = serde_json::json!({
        "repos": [{"repo": "local", "hooks": [{
            "id": hook["id"],
            "name": hook["name"],
            "entry": entry,
            "language": "system",
            "files": hook["files"],
            "pass_filenames": hook["pass_filenames"],
            "require_serial": hook["require_serial"],
            "args": ["--var-file", "env/dev.tfvars", "--only", "MCP003", "--no-color"],
        }]}]
    });
    // JSON is YAML: pre-commit reads it as its config.
    write(&r, ".pre-commit-config.yaml", &config.to_string());
    git(&["add", "-A"]);
    let home = r.join(".pre-commit-home");
    let pre_commit = |files: &[&str]| {
        Command::new("pre-commit")
            .args(["run", "--files"])
            .args(files)
            .current_dir(&r)
            .env("PRE_COMMIT_HOME", &home)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("NO_COLOR", "1")
            .output()
            .expect("pre-commit")
    };
    let o = pre_commit(&["app/main.tf"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "dev's tag fails MCP003:\n{out}");
    assert!(
        out.contains("MCP003") && out.contains("app/main.tf"),
        "{out}"
    );
    assert!(
        !out.contains("env/dev.tfvars: no .tf"),
        "the flag's value is not scanned: {out}"
    );
    // A README change is not the hook's business.
    write(&r, "README.md", "# infra\n");
    git(&["add", "-A"]);
    let o = pre_commit(&["README.md"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

/// The Action's scan step, taken from action.yml and run with bash as the
/// runner runs it.
fn action_scan(cwd: &Path, env: &[(&str, &str)]) -> (Output, String, PathBuf) {
    let action: Value =
        yaml_serde::from_str(&std::fs::read_to_string(crate_root().join("action.yml")).unwrap())
            .unwrap();
    let step = action["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "scan")
        .expect("the scan step");
    let script = step["run"].as_str().unwrap();
    let tools = cwd.join(".tools");
    std::fs::create_dir_all(tools.join("mcpguard/bin")).unwrap();
    let link = tools.join("mcpguard/bin/mcpguard");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(BIN, &link).unwrap();
    let outputs = cwd.join(".github-output");
    let summary = cwd.join(".step-summary.md");
    let _ = std::fs::remove_file(&outputs);
    let mut c = Command::new("bash");
    c.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
        .current_dir(cwd)
        .env("RUNNER_TOOL_CACHE", &tools)
        .env("GITHUB_OUTPUT", &outputs)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("NO_COLOR", "1");
    // Every input the step reads, empty unless the test sets it.
    for (k, _) in step["env"].as_object().unwrap() {
        c.env(k, "");
    }
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().expect("bash");
    let out = std::fs::read_to_string(&outputs).unwrap_or_default();
    (o, out, summary)
}

#[test]
fn the_action_passes_its_args_input_as_words() {
    let r = repo("action");
    let (o, outputs, summary) = action_scan(
        &r,
        &[
            ("MCPGUARD_PATHS", "app"),
            (
                "MCPGUARD_ARGS",
                "--var-file \"env/dev.tfvars\"\n  --only 'MCP003'",
            ),
            ("MCPGUARD_SARIF", "out.sarif"),
        ],
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "the step itself succeeds: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(outputs.contains("exit-code=1"), "{outputs}");
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(r.join("out.sarif")).unwrap()).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "--only MCP003 was honoured");
    assert_eq!(results[0]["ruleId"], "MCP003");
    assert_eq!(results[0]["kind"], "fail", "--var-file was honoured");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "app/main.tf"
    );
    assert!(
        stdout.contains("::warning file=app/main.tf,line="),
        "{stdout}"
    );
    assert!(std::fs::read_to_string(summary)
        .unwrap()
        .starts_with("## mcpguard"));

    // The default `paths: "."` scans every root module of the repository.
    let (_, outputs, _) = action_scan(
        &r,
        &[("MCPGUARD_PATHS", "."), ("MCPGUARD_SARIF", "all.sarif")],
    );
    assert!(outputs.contains("exit-code=1"), "{outputs}");
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(r.join("all.sarif")).unwrap()).unwrap();
    let mut uris: Vec<String> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|res| {
            res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .map(str::to_string)
        })
        .collect();
    uris.sort();
    uris.dedup();
    assert!(
        uris.contains(&"modules/mcp/main.tf".to_string()),
        "{uris:?}"
    );

    // `args` is words, never a command: nothing is executed.
    let (_, outputs, _) = action_scan(
        &r,
        &[
            ("MCPGUARD_PATHS", "app"),
            (
                "MCPGUARD_ARGS",
                "--only MCP003 $(touch pwned) `touch pwned2`",
            ),
            ("MCPGUARD_SARIF", "x.sarif"),
        ],
    );
    assert!(
        outputs.contains("exit-code=2"),
        "the stray words are bad arguments: {outputs}"
    );
    assert!(!r.join("pwned").exists() && !r.join("pwned2").exists());
}

/// A changed ARM template file maps to the template whose scan reads it: a
/// linked template to the template linking it, a parameters file to its
/// template; a `.json` that is no template input (a `package.json`) is not
/// scanned at all.
#[test]
fn changed_templates_map_to_the_templates_that_read_them() {
    let r = std::env::temp_dir().join(format!("mcpguard-hooks-{}-templates", std::process::id()));
    let _ = std::fs::remove_dir_all(&r);
    std::fs::create_dir_all(r.join(".git")).unwrap();
    let schema = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";
    write(
        &r,
        "infra/azuredeploy.json",
        &format!(
            r#"{{"$schema": "{schema}", "resources": [{{"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "net",
               "properties": {{"mode": "Incremental", "templateLink": {{"relativePath": "nested/network.json"}}}}}}]}}"#
        ),
    );
    write(
        &r,
        "infra/nested/network.json",
        &format!(r#"{{"$schema": "{schema}", "resources": []}}"#),
    );
    write(
        &r,
        "infra/azuredeploy.parameters.json",
        r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#", "parameters": {}}"#,
    );
    write(&r, "web/package.json", r#"{"name": "web"}"#);
    let scan = |changed: &str| report(&run(&r, &["pre-commit", "--format", "json", changed]));
    for changed in [
        "infra/azuredeploy.json",
        "infra/nested/network.json",
        "infra/azuredeploy.parameters.json",
    ] {
        let v = scan(changed);
        let got: Vec<String> = inputs(&v)
            .into_iter()
            .filter(|i| i.ends_with(".json"))
            .collect();
        assert_eq!(got, ["infra/azuredeploy.json"], "{changed}: {v}");
    }
    let o = run(&r, &["pre-commit", "--format", "json", "web/package.json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let _ = std::fs::remove_dir_all(&r);
}
