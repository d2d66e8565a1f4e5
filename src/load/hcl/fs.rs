//! The machine, as Terraform's file functions see it (`file`, `fileexists`,
//! `fileset`, `filebase64`, `file*sha*`, `templatefile`, `abspath`): relative
//! paths resolve against the root module's directory (Terraform's working
//! directory), and only files inside the project may be read.
//!
//! The project is `--root DIR` when given; else the git work tree of the
//! scanned directory, or the scanned directory itself when it is in none,
//! plus every module directory mcpguard reads. A path outside it, a missing
//! file or one that is not a regular file is unknown, with a note: reading
//! the machine never stops a scan.

use std::cell::RefCell;
use std::path::{Component, Path, PathBuf};

/// The most files `fileset` walks: a real module tree has a few hundred.
pub const MAX_FILESET_ENTRIES: usize = 100_000;

pub struct Fs {
    cwd: PathBuf,
    trees: RefCell<Vec<PathBuf>>,
    notes: RefCell<Vec<String>>,
}

impl Fs {
    /// `cwd` is the canonical root module directory; `root` the `--root`
    /// tree, if any (canonical).
    pub fn new(cwd: PathBuf, root: Option<PathBuf>) -> Fs {
        let tree = root.unwrap_or_else(|| git_top(&cwd).unwrap_or_else(|| cwd.clone()));
        Fs {
            cwd,
            trees: RefCell::new(vec![tree]),
            notes: RefCell::new(Vec::new()),
        }
    }

    /// Lets file functions read inside a module directory that was read.
    pub fn allow(&self, dir: &Path) {
        let mut t = self.trees.borrow_mut();
        if !t.iter().any(|x| dir.starts_with(x)) {
            t.push(dir.to_path_buf());
        }
    }

    pub fn note(&self, msg: String) {
        self.notes.borrow_mut().push(msg);
    }

    pub fn notes_len(&self) -> usize {
        self.notes.borrow().len()
    }

    pub fn truncate_notes(&self, n: usize) {
        self.notes.borrow_mut().truncate(n);
    }

    pub fn take_notes(&self) -> Vec<String> {
        std::mem::take(&mut self.notes.borrow_mut())
    }

    /// A path as Terraform's `abspath` gives it: joined to the working
    /// directory and cleaned, symlinks kept.
    pub fn abspath(&self, path: &str) -> String {
        let p = Path::new(path);
        let joined = if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.cwd.join(p)
        };
        clean(&joined).to_string_lossy().replace('\\', "/")
    }

    /// The canonical path of a file function's argument, when it is inside
    /// the project; else why not, for the note.
    fn resolve(&self, path: &str) -> Result<PathBuf, String> {
        if path.starts_with('~') {
            return Err(format!(
                "`{path}` is in the home directory of the machine running Terraform"
            ));
        }
        let canon = std::fs::canonicalize(self.cwd.join(path))
            .map_err(|_| format!("`{path}` does not exist here"))?;
        if !self.trees.borrow().iter().any(|t| canon.starts_with(t)) {
            return Err(format!("`{path}` is outside the project (see --root)"));
        }
        Ok(canon)
    }

    /// The bytes of a regular file inside the project.
    pub fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        let p = self.resolve(path)?;
        let meta = std::fs::metadata(&p).map_err(|e| format!("`{path}`: {e}"))?;
        if !meta.is_file() {
            return Err(format!("`{path}` is not a regular file"));
        }
        if meta.len() > crate::load::MAX_INPUT_BYTES {
            return Err(format!("`{path}` is over the input size limit"));
        }
        std::fs::read(&p).map_err(|e| format!("`{path}`: {}", e.to_string().to_lowercase()))
    }

    /// `fileexists`: whether a regular file is there (inside the project).
    pub fn exists(&self, path: &str) -> Result<bool, String> {
        match self.resolve(path) {
            Ok(p) => Ok(p.is_file()),
            // A missing file is a known answer; one outside is not ours to tell.
            Err(_) if !self.cwd.join(path).exists() && !path.starts_with('~') => {
                let lexical = clean(&self.cwd.join(path));
                let inside = self.trees.borrow().iter().any(|t| lexical.starts_with(t));
                if inside {
                    Ok(false)
                } else {
                    Err(format!("`{path}` is outside the project (see --root)"))
                }
            }
            Err(e) => Err(e),
        }
    }

    /// `fileset(path, pattern)`: the regular files under `path` whose path
    /// relative to it matches the glob, sorted.
    pub fn fileset(&self, path: &str, pattern: &str) -> Result<Vec<String>, String> {
        let base = self.resolve(path)?;
        let re = glob_regex(pattern)?;
        let mut out = Vec::new();
        let mut stack = vec![base.clone()];
        let mut seen = 0usize;
        while let Some(dir) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in rd.flatten() {
                seen += 1;
                if seen > MAX_FILESET_ENTRIES {
                    return Err(format!(
                        "`{path}` holds over {MAX_FILESET_ENTRIES} entries (MAX_FILESET_ENTRIES)"
                    ));
                }
                let Ok(ft) = e.file_type() else { continue };
                let p = e.path();
                if ft.is_dir() {
                    stack.push(p);
                } else if ft.is_file() {
                    let rel = p
                        .strip_prefix(&base)
                        .map(|r| r.to_string_lossy().replace('\\', "/"))
                        .unwrap_or_default();
                    if re.is_match(&rel) {
                        out.push(rel);
                    }
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

/// The nearest ancestor holding `.git` (a directory, or a file in worktrees).
fn git_top(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// Lexical cleaning, like Go's `filepath.Clean`.
pub fn clean(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            Component::CurDir => {}
            c => out.push(c.as_os_str()),
        }
    }
    out
}

/// A doublestar glob (`*`, `**`, `?`, `[…]`, `{a,b}`) as an anchored regex.
fn glob_regex(pattern: &str) -> Result<regex::Regex, String> {
    let mut re = String::from("^");
    let mut chars = pattern.chars().peekable();
    let mut braces = 0;
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                if chars.peek() == Some(&'/') {
                    chars.next();
                    re.push_str("(?:.*/)?");
                } else {
                    re.push_str(".*");
                }
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            '[' => {
                re.push('[');
                if chars.peek() == Some(&'!') || chars.peek() == Some(&'^') {
                    chars.next();
                    re.push('^');
                }
                for d in chars.by_ref() {
                    if d == ']' {
                        break;
                    }
                    if d == '\\' || d == '[' {
                        re.push('\\');
                    }
                    re.push(d);
                }
                re.push(']');
            }
            '{' => {
                braces += 1;
                re.push_str("(?:");
            }
            '}' if braces > 0 => {
                braces -= 1;
                re.push(')');
            }
            ',' if braces > 0 => re.push('|'),
            '\\' => {
                if let Some(d) = chars.next() {
                    re.push_str(&regex::escape(&d.to_string()));
                }
            }
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    regex::Regex::new(&re).map_err(|_| format!("invalid glob pattern `{pattern}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        let m = |p: &str, s: &str| glob_regex(p).unwrap().is_match(s);
        assert!(m("*.txt", "a.txt"));
        assert!(!m("*.txt", "d/a.txt"));
        assert!(m("**/*.yaml", "a.yaml"));
        assert!(m("**/*.yaml", "x/y/a.yaml"));
        assert!(m("{a,b}/*.tf", "b/main.tf"));
        assert!(!m("{a,b}/*.tf", "c/main.tf"));
        assert!(m("file?.[ch]", "file1.c"));
        assert_eq!(clean(Path::new("/a/b/../c/./d")), PathBuf::from("/a/c/d"));
    }
}
