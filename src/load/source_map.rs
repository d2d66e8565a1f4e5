//! Plan findings on the `.tf` line: the Terraform source a plan was made
//! from, read with the source reader (`load::hcl`) and translated as the plan
//! is (`load::azurerm`), so each plan resource finds its block by address.
//!
//! The source reader follows module calls as Terraform does (the plan's
//! `configuration` records the same `source`s), so `module.mcp["github"]`'s
//! resources have the same addresses on both sides. Where the source does
//! not know an instance key (a `for_each` over a value known only at plan
//! time), the block address without instance keys still finds the block,
//! and every instance of a block shares its file and lines.
//!
//! Which root module a plan came from is not recorded in the plan, so the
//! source is chosen by matching: the root module among the candidates that
//! holds the most of the plan's resource addresses.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::input::{InlineIgnore, InputError, InputKind};
use crate::inventory::Origin;
use crate::load::{azurerm, hcl, mentions, roots};

/// The source locations of one root module's resources.
#[derive(Debug, Default)]
pub struct SourceMap {
    /// The root module directory, as given (joined with the files' paths).
    pub root: PathBuf,
    by_address: HashMap<String, Origin>,
    by_block: HashMap<String, Origin>,
    /// Its inline `# mcpguard:ignore` comments, files under `root`.
    pub ignores: Vec<InlineIgnore>,
    /// What the source reader could not read (the rest is still mapped).
    pub errors: Vec<InputError>,
}

impl SourceMap {
    /// Reads one root module.
    pub fn read(root: &Path, opts: &hcl::HclOptions) -> SourceMap {
        let out = hcl::load(root, opts);
        let (resources, _) = azurerm::translate(out.model, InputKind::Terraform);
        let mut map = SourceMap {
            root: root.to_path_buf(),
            ignores: out.ignores,
            errors: out.errors,
            ..SourceMap::default()
        };
        for r in resources {
            if r.origin.file.is_none() {
                continue;
            }
            map.by_block
                .entry(block_address(&r.address))
                .or_insert_with(|| r.origin.clone());
            map.by_address.insert(r.address.clone(), r.origin);
        }
        map
    }

    /// Where `address` is written: its own instance, else its block, else
    /// the call of the module it is in when the source reader could not
    /// read that module (a registry module `terraform init` has not
    /// installed: the call is where the finding can land). The file is
    /// relative to [`SourceMap::root`].
    pub fn origin(&self, address: &str) -> Option<&Origin> {
        self.by_address
            .get(address)
            .or_else(|| self.by_block.get(&block_address(address)))
            .or_else(|| {
                module_calls(address)
                    .iter()
                    .rev()
                    .find_map(|call| self.by_address.get(call.as_str()))
                    .filter(|o| o.file.is_some())
            })
    }

    /// How many of `addresses` this source holds.
    pub fn matches<'a>(&self, addresses: impl Iterator<Item = &'a str>) -> usize {
        addresses.filter(|a| self.origin(a).is_some()).count()
    }
}

/// The source of a plan's resources (`addresses`): among the root modules
/// under `search`, the one holding most of them (the first in path order
/// when several hold as many). With `near` (the plan's own directory) the
/// nearest directory from there up to `search` that holds `.tf` files is
/// tried first, as `terraform show -json` is usually run in the root module.
/// `None` when no root module holds any of them.
///
/// A root is read in full only when its text could hold as many of the
/// addresses as the best root read so far ([`mentions`]): under a large
/// working directory most roots name none of the plan's resources, and
/// reading them all would cost as much as the directory is large.
pub fn for_plan(
    addresses: &[&str],
    near: Option<&Path>,
    search: &Path,
    opts: &hcl::HclOptions,
) -> Option<SourceMap> {
    let wanted = mentions::Wanted::new(addresses);
    let mut dirs = mentions::Dirs::default();
    if let Some(dir) = near.and_then(|start| nearest_config(start, search)) {
        if dirs.bound(&dir, &wanted) > 0 {
            let map = SourceMap::read(&dir, opts);
            if map.matches(addresses.iter().copied()) > 0 {
                return Some(map);
            }
        }
    }
    best_root(addresses, roots::find(search), &wanted, &mut dirs, opts)
}

/// The nearest directory from `start` up to `stop` that holds `.tf` files.
fn nearest_config(start: &Path, stop: &Path) -> Option<PathBuf> {
    let stop = std::fs::canonicalize(stop).ok();
    for dir in start.ancestors() {
        if has_config(dir) {
            return Some(dir.to_path_buf());
        }
        let here = std::fs::canonicalize(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        })
        .ok();
        if here.is_none() || here == stop {
            break;
        }
    }
    None
}

/// The root holding most of `addresses`, the first of `roots` among equals.
/// Roots are read in order of their bound, highest first, until no unread
/// root's bound reaches the best count found: those cannot hold more, nor
/// as many (a tie would be lost to the earlier root only if it were read).
fn best_root(
    addresses: &[&str],
    roots: Vec<PathBuf>,
    wanted: &mentions::Wanted,
    dirs: &mut mentions::Dirs,
    opts: &hcl::HclOptions,
) -> Option<SourceMap> {
    let bounds: Vec<usize> = roots.iter().map(|r| dirs.bound(r, wanted)).collect();
    let mut order: Vec<usize> = (0..roots.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(bounds[i]));
    // (count, position in `roots`, map) of the best root read so far.
    let mut best: Option<(usize, usize, SourceMap)> = None;
    for i in order {
        let floor = best.as_ref().map_or(1, |(n, _, _)| *n);
        if bounds[i] < floor {
            break;
        }
        let map = SourceMap::read(&roots[i], opts);
        let n = map.matches(addresses.iter().copied());
        let better = best
            .as_ref()
            .is_none_or(|(b, at, _)| n > *b || (n == *b && i < *at));
        if n > 0 && better {
            best = Some((n, i, map));
        }
    }
    best.map(|(_, _, m)| m)
}

/// The module calls an address is inside, outermost first:
/// `module.a["k"].module.b.x.y` → `module.a["k"]`, `module.a["k"].module.b`.
fn module_calls(address: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = address;
    let mut prefix = String::new();
    while let Some(after) = rest.strip_prefix("module.") {
        // The call's name runs to the next `.` outside brackets.
        let mut depth = 0usize;
        let mut quoted = false;
        let mut end = after.len();
        for (i, c) in after.char_indices() {
            match c {
                '"' => quoted = !quoted,
                '[' if !quoted => depth += 1,
                ']' if !quoted => depth = depth.saturating_sub(1),
                '.' if !quoted && depth == 0 => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        if end == after.len() {
            break; // the address is the call itself
        }
        prefix.push_str(&format!("module.{}", &after[..end]));
        out.push(prefix.clone());
        prefix.push('.');
        rest = &after[end + 1..];
    }
    out
}

fn has_config(dir: &Path) -> bool {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    std::fs::read_dir(dir).is_ok_and(|rd| {
        rd.flatten()
            .any(|e| roots::is_config_file(&e.file_name().to_string_lossy()) && e.path().is_file())
    })
}

/// The address with every instance key removed: `module.m["a"].x.y[0]` →
/// `module.m.x.y`.
fn block_address(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let mut depth = 0usize;
    let mut quoted = false;
    for c in address.chars() {
        match c {
            '"' if depth > 0 => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_calls_of_an_address() {
        assert_eq!(
            module_calls("module.a[\"x.y\"].module.b.azurerm_x.y[0]"),
            vec!["module.a[\"x.y\"]", "module.a[\"x.y\"].module.b"]
        );
        assert!(module_calls("azurerm_x.y").is_empty());
        assert!(module_calls("module.a").is_empty());
    }

    #[test]
    fn block_addresses() {
        assert_eq!(
            block_address("module.m[\"a]\"].x.y[0]"),
            "module.m.x.y".to_string()
        );
        assert_eq!(block_address("x.y"), "x.y");
    }

    #[test]
    fn instances_the_source_cannot_key_find_their_block() {
        let d = std::env::temp_dir().join(format!("mcpguard-srcmap-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("main.tf"),
            "variable \"names\" {\n  type = set(string)\n}\n\nresource \"azurerm_resource_group\" \"rg\" {\n  for_each = var.names\n  name     = each.key\n  location = \"westeurope\"\n}\n",
        )
        .unwrap();
        let map = SourceMap::read(&d, &hcl::HclOptions::default());
        let o = map
            .origin("azurerm_resource_group.rg[\"prod\"]")
            .expect("the block of an instance the source cannot key");
        assert_eq!((o.file.as_deref(), o.line), (Some("main.tf"), Some(5)));
        assert!(map.origin("azurerm_resource_group.other").is_none());
        let found = for_plan(
            &["azurerm_resource_group.rg[\"dev\"]"],
            Some(&d),
            &d,
            &hcl::HclOptions::default(),
        )
        .expect("found from the plan's directory");
        assert_eq!(found.root, d);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn the_first_of_equal_roots_is_chosen_and_module_calls_count() {
        let d = std::env::temp_dir().join(format!("mcpguard-srcmap-best-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        let rg = |name: &str| {
            format!("resource \"azurerm_resource_group\" \"{name}\" {{\n  name     = \"x\"\n  location = \"westeurope\"\n}}\n")
        };
        for (dir, text) in [
            ("a", rg("other")),
            ("b", rg("rg")),
            // A comment names a second resource: a higher bound, the same count.
            (
                "c",
                rg("rg") + "# resource \"azurerm_resource_group\" \"rg2\" is gone\n",
            ),
            // A registry module not installed: its resources land on the call.
            (
                "d",
                "module \"m\" {\n  source = \"Azure/x/azurerm\"\n}\n".to_string(),
            ),
        ] {
            std::fs::create_dir_all(d.join(dir)).unwrap();
            std::fs::write(d.join(dir).join("main.tf"), text).unwrap();
        }
        let opts = hcl::HclOptions::default();
        let plan = ["azurerm_resource_group.rg", "azurerm_resource_group.rg2"];
        let found = for_plan(&plan, None, &d, &opts).expect("b or c");
        assert_eq!(
            found.root,
            d.join("b"),
            "c is read first and ties: b comes first"
        );
        let found = for_plan(&["module.m.azurerm_x.y[0]"], None, &d, &opts).expect("the call");
        assert_eq!(found.root, d.join("d"));
        assert!(for_plan(&["azurerm_resource_group.none"], None, &d, &opts).is_none());
        let _ = std::fs::remove_dir_all(&d);
    }
}
