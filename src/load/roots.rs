//! Root modules under a directory, as `tflint --recursive` finds them: every
//! directory with `.tf` / `.tf.json` files that no other directory found
//! calls as a local module (`source = "./…"` or `"../…"`). `.terraform/` (the
//! module cache) and hidden directories are not entered, and symlinked
//! directories are not followed, so a link cannot make the walk loop.
//!
//! Only `module` blocks' `source` strings are read here, with a plain parse;
//! the source reader (`load::hcl`) reads each root in full and reports any
//! syntax error then.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The root modules under `dir` (itself included), sorted, each as `dir`
/// joined with its relative path, so shown paths keep the form they were given.
pub fn find(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = Vec::new();
    walk(dir, &mut found);
    found.sort();
    if found.len() < 2 {
        return found; // one directory is its own root: nothing to parse
    }
    let mut called: BTreeSet<PathBuf> = BTreeSet::new();
    for d in &found {
        for source in local_sources(d).into_iter().chain(installed_modules(d)) {
            if let Ok(c) = std::fs::canonicalize(d.join(&source)) {
                called.insert(c);
            }
        }
    }
    found
        .into_iter()
        .filter(|d| {
            std::fs::canonicalize(d)
                .map(|c| !called.contains(&c))
                .unwrap_or(true)
        })
        .collect()
}

/// The directories `dir`'s configuration calls as modules (local sources and
/// modules `terraform init` installed), canonical.
pub fn calls(dir: &Path) -> Vec<PathBuf> {
    local_sources(dir)
        .into_iter()
        .chain(installed_modules(dir))
        .filter_map(|s| std::fs::canonicalize(dir.join(s)).ok())
        .collect()
}

/// Every directory `root` uses: itself and, transitively, the modules it
/// calls; canonical.
pub fn used_by(root: &Path) -> BTreeSet<PathBuf> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<PathBuf> = std::fs::canonicalize(root).into_iter().collect();
    while let Some(d) = stack.pop() {
        if seen.insert(d.clone()) {
            stack.extend(calls(&d));
        }
    }
    seen
}

/// The names of the variables `dir`'s configuration declares.
pub fn variables(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if !is_config_file(&name) {
            continue;
        }
        let Ok(text) = crate::input::read_text(&e.path()) else {
            continue;
        };
        if name.ends_with(".json") {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
                if let Some(vars) = v["variable"].as_object() {
                    out.extend(vars.keys().cloned());
                }
            }
        } else if let Ok(body) = hcl::parse(&text) {
            for b in body.blocks().filter(|b| b.identifier() == "variable") {
                if let Some(l) = b.labels().first() {
                    out.insert(l.as_str().to_string());
                }
            }
        }
    }
    out
}

/// The variables a `.tfvars` (or `.tfvars.json`) file sets; `None` when it
/// cannot be read or parsed.
pub fn tfvars_keys(file: &Path) -> Option<BTreeSet<String>> {
    let text = crate::input::read_text(file).ok()?;
    if file.to_string_lossy().ends_with(".json") {
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        return Some(v.as_object()?.keys().cloned().collect());
    }
    let body = hcl::parse(&text).ok()?;
    Some(body.attributes().map(|a| a.key().to_string()).collect())
}

/// The GitHub Actions workflows that go with a scanned directory: the
/// `.github/workflows/*.yml` / `*.yaml` files of the directory itself and of
/// each directory above it up to the git work tree's root (a `.git` entry),
/// so `scan .` at a repository's root and `scan ./infra` inside it both read
/// the repository's workflows. Sorted; each joined to `dir` as given.
pub fn workflows(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut at = dir.to_path_buf();
    for _ in 0..64 {
        let wf = at.join(".github").join("workflows");
        if let Ok(rd) = std::fs::read_dir(&wf) {
            let mut files: Vec<PathBuf> = rd
                .flatten()
                .map(|e| e.path())
                .filter(|p| crate::load::workflow::is_workflow_path(p))
                .collect();
            files.sort();
            out.extend(files);
        }
        if at.join(".git").exists() {
            break;
        }
        let Ok(canon) = std::fs::canonicalize(&at) else {
            break;
        };
        if canon.parent().is_none() {
            break;
        }
        at = at.join("..");
    }
    // Outside any git work tree only the directory's own workflows count.
    if !dir_in_git(dir) {
        out.retain(|p| p.starts_with(dir.join(".github")));
    }
    out
}

fn dir_in_git(dir: &Path) -> bool {
    std::fs::canonicalize(dir)
        .map(|c| c.ancestors().any(|a| a.join(".git").exists()))
        .unwrap_or(false)
}

/// Whether `name` is a Terraform configuration file.
pub fn is_config_file(name: &str) -> bool {
    name.ends_with(".tf") || name.ends_with(".tf.json")
}

/// The files under `dir` whose name `keep` accepts, sorted. Hidden files and
/// directories and `node_modules` are not entered, nor symlinked
/// directories (a loop must not hang a scan).
pub fn files_under(dir: &Path, keep: fn(&Path) -> bool) -> Vec<PathBuf> {
    fn go(dir: &Path, keep: fn(&Path) -> bool, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            let Ok(t) = e.file_type() else { continue };
            if name.starts_with('.') {
                continue;
            }
            if t.is_dir() {
                if name != "node_modules" {
                    go(&e.path(), keep, out);
                }
            } else if keep(Path::new(&name)) {
                out.push(e.path());
            }
        }
    }
    let mut out = Vec::new();
    go(dir, keep, &mut out);
    out.sort();
    out
}

/// The files reachable from `start` (canonical, `start` included): each
/// file read once, the paths `refs` finds in its text taken relative to its
/// directory. A file that cannot be read is still in the set.
pub fn closure(start: Vec<PathBuf>, refs: impl Fn(&str) -> Vec<String>) -> BTreeSet<PathBuf> {
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let mut seen = BTreeSet::new();
    let mut todo = start;
    while let Some(f) = todo.pop() {
        if !seen.insert(canon(&f)) {
            continue;
        }
        let Ok(text) = crate::input::read_text(&f) else {
            continue;
        };
        let base = f.parent().unwrap_or(Path::new("")).to_path_buf();
        todo.extend(refs(&text).into_iter().map(|r| base.join(r)));
    }
    seen
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut has_config = false;
    let mut subdirs = Vec::new();
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let Ok(kind) = e.file_type() else { continue };
        if kind.is_dir() {
            if !name.starts_with('.') {
                subdirs.push(e.path());
            }
        } else if is_config_file(&name) && (kind.is_file() || e.path().is_file()) {
            has_config = true;
        }
    }
    if has_config {
        found.push(dir.to_path_buf());
    }
    subdirs.sort();
    for s in subdirs {
        walk(&s, found);
    }
}

/// The local module sources (`./x`, `../x`) that `dir`'s files call.
fn local_sources(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    let mut files: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .is_some_and(|n| is_config_file(&n.to_string_lossy()))
        })
        .collect();
    files.sort();
    for f in files {
        let Ok(text) = crate::input::read_text(&f) else {
            continue;
        };
        // Most files call no module; only those are parsed twice.
        if !text.contains("module") {
            continue;
        }
        let name = f.to_string_lossy();
        let sources = if name.ends_with(".json") {
            json_sources(&text)
        } else {
            hcl_sources(&text)
        };
        out.extend(sources.into_iter().filter(|s| is_local(s)));
    }
    out
}

/// The directories `terraform init` installed registry and git modules into,
/// from `<TF_DATA_DIR or .terraform>/modules/modules.json` (relative to the
/// root): they are called modules even when `TF_DATA_DIR` is not hidden.
fn installed_modules(dir: &Path) -> Vec<String> {
    let data =
        std::env::var_os("TF_DATA_DIR").map_or_else(|| dir.join(".terraform"), |d| dir.join(d));
    let Ok(text) = crate::input::read_text(&data.join("modules").join("modules.json")) else {
        return Vec::new();
    };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Vec::new();
    };
    v["Modules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["Key"].as_str().is_some_and(|k| !k.is_empty()))
        .filter_map(|m| m["Dir"].as_str().map(str::to_string))
        .collect()
}

/// Terraform's rule: a local path starts with `./` or `../`.
fn is_local(source: &str) -> bool {
    source.starts_with("./")
        || source.starts_with("../")
        || source.starts_with(".\\")
        || source.starts_with("..\\")
}

fn hcl_sources(text: &str) -> Vec<String> {
    let Ok(body) = hcl::parse(text) else {
        return Vec::new();
    };
    body.blocks()
        .filter(|b| b.identifier() == "module")
        .filter_map(|b| {
            b.body()
                .attributes()
                .find(|a| a.key() == "source")
                .and_then(|a| match a.expr() {
                    hcl::Expression::String(s) => Some(s.clone()),
                    _ => None,
                })
        })
        .collect()
}

/// `{"module": {"name": {"source": "./x"}}}`, where Terraform's JSON syntax
/// also allows an array of such objects at either level.
fn json_sources(text: &str) -> Vec<String> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let objects = |v: &serde_json::Value| -> Vec<serde_json::Value> {
        match v {
            serde_json::Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        }
    };
    for modules in objects(&v["module"]) {
        let Some(calls) = modules.as_object() else {
            continue;
        };
        for call in calls.values() {
            for c in objects(call) {
                if let Some(s) = c.get("source").and_then(|s| s.as_str()) {
                    out.push(s.to_string());
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_module_sources() {
        assert_eq!(
            hcl_sources(
                "module \"a\" {\n  source = \"./a\"\n}\nmodule \"r\" {\n  source = \"Azure/x/azurerm\"\n}\nresource \"x\" \"y\" {}\n"
            ),
            vec!["./a", "Azure/x/azurerm"]
        );
        assert_eq!(
            json_sources(r#"{"module": {"a": {"source": "../m"}, "b": [{"source": "./b"}]}}"#),
            vec!["../m", "./b"]
        );
        assert!(hcl_sources("module \"a\" {").is_empty());
        assert!(is_local("../x") && is_local("./x") && !is_local("git::x"));
    }

    #[test]
    fn variables_and_tfvars_keys() {
        let d = std::env::temp_dir().join(format!("mcpguard-vars-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("v.tf"),
            "variable \"env\" {}\nvariable \"size\" {\n  default = 1\n}\n",
        )
        .unwrap();
        std::fs::write(d.join("j.tf.json"), r#"{"variable": {"region": {}}}"#).unwrap();
        std::fs::write(d.join("prod.tfvars"), "env = \"prod\"\nsize = 3\n").unwrap();
        std::fs::write(d.join("x.tfvars.json"), r#"{"region": "weu"}"#).unwrap();
        let vars: Vec<String> = variables(&d).into_iter().collect();
        assert_eq!(vars, ["env", "region", "size"]);
        let keys: Vec<String> = tfvars_keys(&d.join("prod.tfvars"))
            .unwrap()
            .into_iter()
            .collect();
        assert_eq!(keys, ["env", "size"]);
        assert_eq!(tfvars_keys(&d.join("x.tfvars.json")).unwrap().len(), 1);
        assert!(tfvars_keys(&d.join("missing.tfvars")).is_none());
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn roots_are_directories_no_other_one_calls() {
        let d = std::env::temp_dir().join(format!("mcpguard-roots-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        for (file, text) in [
            (
                "infra/main.tf",
                "module \"net\" {\n  source = \"../modules/net\"\n}\n",
            ),
            ("modules/net/main.tf", "resource \"x\" \"y\" {}\n"),
            (
                "envs/prod/main.tf.json",
                r#"{"module": {"n": {"source": "../../modules/net"}}}"#,
            ),
            ("lone/main.tf", ""),
            ("infra/.terraform/modules/net/main.tf", ""),
            (".hidden/main.tf", ""),
            ("docs/readme.md", ""),
        ] {
            let p = d.join(file);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let roots: Vec<String> = find(&d)
            .iter()
            .map(|p| p.strip_prefix(&d).unwrap().display().to_string())
            .collect();
        assert_eq!(roots, ["envs/prod", "infra", "lone"]);
        let net = std::fs::canonicalize(d.join("modules/net")).unwrap();
        assert!(used_by(&d.join("infra")).contains(&net));
        assert!(!used_by(&d.join("lone")).contains(&net));
        let _ = std::fs::remove_dir_all(&d);
    }
}
