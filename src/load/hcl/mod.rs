//! Terraform source reader: a directory of `*.tf` / `*.tf.json` files (or one
//! file) evaluated without `terraform init`, credentials or network, into the
//! same [`TfModel`] the plan reader produces for the plan of that source.
//!
//! - `source`: files parsed with spans (`hcl::edit`); JSON syntax rewritten to HCL.
//! - `eval` + `funcs` + `value`: expressions, with unknown as a value.
//! - `module`: declarations, dependency order, count/for_each, local modules.
//!
//! Values follow plan conventions: nested blocks are lists of objects,
//! anything computed by the provider or read from a data source is unknown,
//! and references name the exact instance (`azurerm_subnet.x[0]`).

mod eval;
mod fs;
mod funcs;
mod graph;
mod manifest;
mod module;
mod source;
mod types;
mod value;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::input::InlineIgnore;
use crate::load::terraform::TfModel;
use crate::load::InputError;

use eval::{Eval, NoScope};
use module::{Instance, Loader, ModuleDef};
use source::SourceFile;
use value::Val;

pub use funcs::NAMES as FUNCTIONS;

/// Variable inputs from the command line.
#[derive(Debug, Clone, Default)]
pub struct HclOptions {
    /// `--var-file FILE`, applied in order after `terraform.tfvars` and `*.auto.tfvars`.
    pub var_files: Vec<PathBuf>,
    /// `--var name=value`, applied last. Values are HCL/JSON-typed
    /// (`ids=["a","b"]`); a value that does not parse is a string.
    pub vars: Vec<(String, String)>,
    /// `--root DIR`: nothing outside this tree is read (modules, files).
    /// Without it, local module sources are followed wherever they point,
    /// as Terraform follows them.
    pub root: Option<PathBuf>,
}

/// What the source reader hands on.
#[derive(Debug, Default)]
pub struct HclOutput {
    pub model: TfModel,
    pub ignores: Vec<InlineIgnore>,
    /// Every problem found; the model holds what could still be evaluated.
    pub errors: Vec<InputError>,
}

/// Loads a directory (every `*.tf` and `*.tf.json`, modules recursively) or a
/// single `.tf` / `.tf.json` file.
pub fn load(root: &Path, opts: &HclOptions) -> HclOutput {
    let shown = root.display().to_string();
    let name = root
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let (dir, single) = if root.is_dir() {
        (root.to_path_buf(), None)
    } else if !(name.ends_with(".tf") || name.ends_with(".tf.json")) {
        let msg = if name.ends_with(".tfvars") || name.ends_with(".tfvars.json") {
            "a variables file is not a configuration: scan its directory and pass it with --var-file"
        } else {
            "not a Terraform file (expected a directory, a .tf or a .tf.json file)"
        };
        return HclOutput {
            errors: vec![InputError::new(shown, msg)],
            ..Default::default()
        };
    } else {
        (
            root.parent().map(Path::to_path_buf).unwrap_or_default(),
            Some(root.to_path_buf()),
        )
    };
    let dir_for_fs = if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir.clone()
    };
    let canon = match std::fs::canonicalize(&dir_for_fs) {
        Ok(c) => c,
        Err(e) => {
            return HclOutput {
                errors: vec![InputError::new(
                    shown,
                    format!("cannot read: {}", e.to_string().to_lowercase()),
                )],
                ..Default::default()
            }
        }
    };
    let limit = match root_limit(opts, &canon, &shown) {
        Ok(l) => l,
        Err(e) => {
            return HclOutput {
                errors: vec![e],
                ..Default::default()
            }
        }
    };
    let fs = fs::Fs::new(canon.clone(), limit.clone());
    let mut loader = Loader::new(canon.clone(), dir.clone(), BTreeMap::new(), fs);
    loader.root_limit = limit;
    match manifest::Manifest::read(&canon) {
        Ok(m) => loader.manifest = m,
        Err(e) => loader.errors.push(e),
    }
    let def = match &single {
        Some(file) => {
            let files = loader.read_files(std::slice::from_ref(file), "");
            let mut errors = Vec::new();
            let d = std::rc::Rc::new(ModuleDef::new(
                String::new(),
                canon.clone(),
                files,
                &mut errors,
            ));
            loader.errors.extend(errors);
            d
        }
        None => loader.module_def(&dir_for_fs, &canon),
    };
    loader.root_vars = root_variables(
        &dir_for_fs,
        &dir,
        single.is_some(),
        opts,
        &mut loader.errors,
    );
    loader.eval_module(Instance {
        prefix: String::new(),
        generic: String::new(),
        inputs: BTreeMap::new(),
        sensitive_inputs: Default::default(),
        is_root: true,
        def: &def,
    });
    let mut model = TfModel {
        resources: std::mem::take(&mut loader.resources),
        subscription_id: loader.subscription_id.take(),
        notes: std::mem::take(&mut loader.notes),
    };
    model.notes.extend(loader.fs.take_notes());
    if !loader.outside.is_empty() {
        let dirs: Vec<String> = loader.outside.iter().map(|d| format!("`{d}`")).collect();
        model.notes.push(format!(
            "module directories read outside `{shown}`: {} (local module sources; --root DIR limits reading to one tree)",
            dirs.join(", ")
        ));
    }
    if !loader.unset_vars.is_empty() {
        let names: Vec<String> = loader.unset_vars.iter().map(|n| format!("`{n}`")).collect();
        model.notes.push(format!(
            "variables with no value (no default, no tfvars, no --var): {}; what is built from them is unknown (give them with --var or --var-file)",
            names.join(", ")
        ));
    }
    model.resources.sort_by(|a, b| a.address.cmp(&b.address));
    model.notes.sort();
    model.notes.dedup();
    let mut errors = std::mem::take(&mut loader.def_errors);
    errors.append(&mut loader.errors);
    HclOutput {
        model,
        ignores: loader.ignores,
        errors,
    }
}

/// The canonical `--root` tree, checked to hold the scanned directory.
fn root_limit(opts: &HclOptions, canon: &Path, shown: &str) -> Result<Option<PathBuf>, InputError> {
    let Some(r) = &opts.root else {
        return Ok(None);
    };
    let lim = std::fs::canonicalize(r).map_err(|e| {
        InputError::new(
            r.display().to_string(),
            format!("--root: cannot read: {}", e.to_string().to_lowercase()),
        )
    })?;
    if !canon.starts_with(&lim) {
        return Err(InputError::new(
            shown,
            format!("`{shown}` is outside --root `{}`", r.display()),
        ));
    }
    Ok(Some(lim))
}

/// Root variable values by Terraform's precedence: `terraform.tfvars`,
/// `terraform.tfvars.json`, `*.auto.tfvars[.json]` in name order, then
/// `--var-file`s, then `--var`s (later wins).
fn root_variables(
    dir: &Path,
    shown_dir: &Path,
    single_file: bool,
    opts: &HclOptions,
    errors: &mut Vec<InputError>,
) -> BTreeMap<String, Val> {
    let mut files: Vec<PathBuf> = Vec::new();
    if !single_file {
        let main_vars = |n: &str| n == "terraform.tfvars" || n == "terraform.tfvars.json";
        files.extend(source::config_entries(dir, shown_dir, main_vars, errors).unwrap_or_default());
        let auto_vars = |n: &str| n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json");
        let auto = source::config_entries(dir, shown_dir, auto_vars, errors).unwrap_or_default();
        files.extend(auto);
    }
    let mut vars = BTreeMap::new();
    for p in files.iter().chain(&opts.var_files) {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let shown = if p.starts_with(dir) {
            shown_dir.join(&name).display().to_string()
        } else {
            p.display().to_string()
        };
        read_tfvars(p, &shown, &mut vars, errors);
    }
    for (k, raw) in &opts.vars {
        vars.insert(k.clone(), cli_value(raw));
    }
    vars
}

fn read_tfvars(
    p: &Path,
    shown: &str,
    vars: &mut BTreeMap<String, Val>,
    errors: &mut Vec<InputError>,
) {
    let text = match crate::load::read_text(p) {
        Ok(t) => t,
        Err(mut e) => {
            e.path = shown.to_string();
            errors.push(e);
            return;
        }
    };
    if shown.ends_with(".json") {
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(o)) => {
                for (k, v) in o {
                    vars.insert(k, Val::from_json(&v));
                }
            }
            Ok(_) => errors.push(InputError::new(
                shown,
                "a .tfvars.json file must be a JSON object",
            )),
            Err(e) => errors.push(InputError::json(shown, &text, &e, "variables file")),
        }
        return;
    }
    let f = match SourceFile::parse(shown.to_string(), shown.to_string(), text, false) {
        Ok(f) => f,
        Err(e) => {
            errors.push(e);
            return;
        }
    };
    for s in f.body.iter() {
        match s {
            hcl::edit::structure::Structure::Attribute(a) => {
                match Eval::new(&NoScope).eval(&a.value) {
                    Ok(v) => {
                        vars.insert(a.key.as_str().to_string(), v);
                    }
                    Err(e) => errors.push(f.error(e.span, e.message, "here")),
                }
            }
            hcl::edit::structure::Structure::Block(b) => {
                use hcl::edit::Span;
                errors.push(f.error(
                    b.span(),
                    "a variables file holds only `name = value` lines",
                    "unexpected block",
                ))
            }
        }
    }
}

/// `--var` values are typed like Terraform's: a value that parses as an HCL
/// expression of constants (`3`, `true`, `["a"]`, `{a = 1}`) is that value;
/// anything else is the raw string.
fn cli_value(raw: &str) -> Val {
    let looks_typed = raw.trim_start().starts_with(['[', '{', '"'])
        || raw.parse::<f64>().is_ok()
        || raw == "true"
        || raw == "false"
        || raw == "null";
    if looks_typed {
        if let Ok(e) = hcl::edit::parser::parse_expr(raw) {
            if let Ok(v) = Eval::new(&NoScope).eval(&e) {
                return v;
            }
        }
    }
    Val::Str(raw.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_values_are_typed() {
        assert_eq!(
            cli_value("[\"a\",\"b\"]"),
            Val::List(vec![Val::str("a"), Val::str("b")])
        );
        assert_eq!(cli_value("3"), Val::Num(3.0));
        assert_eq!(cli_value("true"), Val::Bool(true));
        assert_eq!(cli_value("hello world"), Val::str("hello world"));
        assert_eq!(cli_value("[unterminated"), Val::str("[unterminated"));
    }
}
