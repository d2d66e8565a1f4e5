//! Concrete paths into an ARM document (`properties.subnetIds[0].id`).
//!
//! Paths name where a value sits in a resource's ARM JSON. They are used for the
//! side data that rules never see directly: which values are unknown until apply,
//! which are sensitive, and which value of a finding's evidence came from where.

use std::collections::BTreeSet;
use std::fmt;

/// One step of a [`Path`]: an object key or an array index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A concrete path from the root of an ARM document.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Path(pub Vec<Seg>);

impl Path {
    pub fn root() -> Self {
        Path(Vec::new())
    }

    /// Parses the dotted form this type prints: `a.b[0].c`, `tags['a.b']`.
    /// Keys made of other characters than `[A-Za-z0-9_$-]` use the quoted form.
    pub fn parse(s: &str) -> Path {
        let mut segs = Vec::new();
        let b = s.as_bytes();
        let mut i = 0;
        let mut cur = String::new();
        while i < b.len() {
            match b[i] {
                b'.' => {
                    if !cur.is_empty() {
                        segs.push(Seg::Key(std::mem::take(&mut cur)));
                    }
                    i += 1;
                }
                b'[' => {
                    if !cur.is_empty() {
                        segs.push(Seg::Key(std::mem::take(&mut cur)));
                    }
                    if b.get(i + 1) == Some(&b'\'') {
                        // quoted key, '' escapes a quote
                        let mut j = i + 2;
                        let mut key = String::new();
                        while j < b.len() {
                            if b[j] == b'\'' {
                                if b.get(j + 1) == Some(&b'\'') {
                                    key.push('\'');
                                    j += 2;
                                    continue;
                                }
                                break;
                            }
                            let ch = s[j..].chars().next().unwrap_or('\u{fffd}');
                            key.push(ch);
                            j += ch.len_utf8();
                        }
                        segs.push(Seg::Key(key));
                        i = (j + 2).min(b.len()); // skip `']`
                    } else {
                        let end = s[i..].find(']').map(|e| i + e).unwrap_or(b.len());
                        let inner = &s[i + 1..end];
                        match inner.parse::<usize>() {
                            Ok(n) => segs.push(Seg::Index(n)),
                            Err(_) => segs.push(Seg::Key(inner.to_string())),
                        }
                        i = end + 1;
                    }
                }
                _ => {
                    let ch = s[i..].chars().next().unwrap_or('\u{fffd}');
                    cur.push(ch);
                    i += ch.len_utf8();
                }
            }
        }
        if !cur.is_empty() {
            segs.push(Seg::Key(cur));
        }
        Path(segs)
    }

    pub fn key(&self, k: impl Into<String>) -> Path {
        let mut p = self.clone();
        p.0.push(Seg::Key(k.into()));
        p
    }

    pub fn index(&self, i: usize) -> Path {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }

    pub fn is_prefix_of(&self, other: &Path) -> bool {
        other.0.len() >= self.0.len() && other.0[..self.0.len()] == self.0[..]
    }

    /// Looks the path up in a JSON value.
    pub fn get<'v>(&self, mut v: &'v serde_json::Value) -> Option<&'v serde_json::Value> {
        for s in &self.0 {
            v = match (s, v) {
                (Seg::Key(k), serde_json::Value::Object(m)) => m.get(k)?,
                (Seg::Index(i), serde_json::Value::Array(a)) => a.get(*i)?,
                _ => return None,
            };
        }
        Some(v)
    }
}

fn plain_key(k: &str) -> bool {
    !k.is_empty()
        && k.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c == b'-')
        && !k.as_bytes()[0].is_ascii_digit()
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, s) in self.0.iter().enumerate() {
            match s {
                Seg::Key(k) if plain_key(k) => {
                    if n > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Seg::Key(k) => write!(f, "['{}']", k.replace('\'', "''"))?,
                Seg::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

impl serde::Serialize for Path {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A set of paths, e.g. the values of a resource that are unknown until apply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathSet(BTreeSet<Path>);

impl PathSet {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn insert(&mut self, p: Path) {
        self.0.insert(p);
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = &Path> {
        self.0.iter()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// The member that is `p` itself or one of its ancestors, if any: reading `p`
    /// then reads (part of) a value that is in the set.
    pub fn covering(&self, p: &Path) -> Option<&Path> {
        // Sets are small (a resource's unknown values): a scan beats building
        // every prefix of `p`, and this runs for every value a rule reads.
        self.0.iter().find(|q| q.is_prefix_of(p))
    }
    /// The first member strictly below `p` (a part of the value at `p`).
    pub fn first_below(&self, p: &Path) -> Option<&Path> {
        self.0
            .iter()
            .find(|q| q.0.len() > p.0.len() && p.is_prefix_of(q))
    }
    /// `covering`, else `first_below`: any member that touches the value at `p`.
    pub fn touching(&self, p: &Path) -> Option<&Path> {
        self.covering(p).or_else(|| self.first_below(p))
    }
}

impl FromIterator<Path> for PathSet {
    fn from_iter<I: IntoIterator<Item = Path>>(it: I) -> Self {
        PathSet(it.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_parse_round_trip() {
        for s in [
            "properties.subnetIds[0].id",
            "tags['hidden-link: x']",
            "tags['it''s']",
            "a[3][4].b",
        ] {
            assert_eq!(Path::parse(s).to_string(), s);
        }
        assert_eq!(
            Path::parse("tags['a.b']").0,
            vec![Seg::Key("tags".into()), Seg::Key("a.b".into())]
        );
    }

    #[test]
    fn covering_and_below() {
        let set: PathSet = [
            Path::parse("properties.subnetIds"),
            Path::parse("properties.x[1].y"),
        ]
        .into_iter()
        .collect();
        assert!(set
            .covering(&Path::parse("properties.subnetIds[0].id"))
            .is_some());
        assert!(set.covering(&Path::parse("properties")).is_none());
        assert_eq!(
            set.first_below(&Path::parse("properties"))
                .map(|p| p.to_string()),
            Some("properties.subnetIds".to_string())
        );
        assert!(set.first_below(&Path::parse("properties.x[0]")).is_none());
        assert!(set.touching(&Path::parse("properties.x")).is_some());
    }
}
