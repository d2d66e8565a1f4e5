//! YAML text → a small tree of maps, sequences and scalars, each with its
//! 1-based line, built from saphyr-parser's events (which carry spans).
//!
//! The tree is built by hand rather than with a YAML DOM so that hostile
//! input stays bounded: an alias is expanded by copying its anchor's node,
//! and every copied node counts against [`MAX_NODES`], so a "billion laughs"
//! document stops at the cap instead of filling memory; nesting deeper than
//! [`MAX_DEPTH`] stops too. saphyr-parser itself is an iterative state
//! machine (no recursion), so depth cannot overflow its stack either.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

/// Nodes in one document, aliases expanded. The largest workflow in the
/// corpus has a few thousand; GitHub itself refuses files over 512 KiB.
pub const MAX_NODES: usize = 200_000;
/// Nesting levels of maps and sequences. Workflows nest about 8 deep.
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// Keys in document order, each with the line of the key.
    Map(Vec<(String, u32, Node)>),
    Seq(Vec<Node>),
    /// A scalar's text, and whether it was plain (unquoted: `true`, `null`
    /// and numbers keep their YAML meaning).
    Scalar(String, bool),
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, n)| n)
    }

    /// The value at `key` and the key's line.
    pub fn entry(&self, key: &str) -> Option<(u32, &Node)> {
        match self {
            Node::Map(m) => m.iter().find(|(k, _, _)| k == key).map(|(_, l, n)| (*l, n)),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    /// A plain `null`, `~` or empty scalar.
    pub fn is_null(&self) -> bool {
        matches!(self, Node::Scalar(s, true) if s.is_empty() || s == "~" || s.eq_ignore_ascii_case("null"))
    }
}

/// Where and why the text is not YAML (or too large): a 1-based line and
/// column, and the message.
#[derive(Debug)]
pub struct YamlError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// The first document of `text` (a workflow has one); `Node::Scalar("")`
/// for an empty file.
pub fn parse(text: &str) -> Result<Node, YamlError> {
    let mut b = Builder::default();
    for ev in Parser::new_from_str(text) {
        let (ev, span) = ev.map_err(|e| YamlError {
            line: e.marker().line(),
            column: e.marker().col() + 1,
            message: e.info().to_string(),
        })?;
        if b.event(ev, span)? {
            break;
        }
    }
    Ok(b.done.unwrap_or(Node::Scalar(String::new(), true)))
}

/// A map or sequence being filled.
enum Open {
    Map {
        anchor: usize,
        entries: Vec<(String, u32, Node)>,
        /// A key read, waiting for its value.
        key: Option<(String, u32)>,
    },
    Seq {
        anchor: usize,
        items: Vec<Node>,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    anchors: HashMap<usize, Node>,
    nodes: usize,
    done: Option<Node>,
}

impl Builder {
    /// Takes one event; `true` once the first document is complete.
    fn event(&mut self, ev: Event<'_>, span: Span) -> Result<bool, YamlError> {
        let line = span.start.line();
        let at = |message: String| YamlError {
            line,
            column: span.start.col() + 1,
            message,
        };
        match ev {
            Event::MappingStart(anchor, _) | Event::SequenceStart(anchor, _) => {
                if self.stack.len() >= MAX_DEPTH {
                    return Err(at(format!(
                        "nested more than {MAX_DEPTH} levels deep (MAX_DEPTH)"
                    )));
                }
                self.count(1).map_err(at)?;
                self.stack.push(if matches!(ev, Event::MappingStart(..)) {
                    Open::Map {
                        anchor,
                        entries: Vec::new(),
                        key: None,
                    }
                } else {
                    Open::Seq {
                        anchor,
                        items: Vec::new(),
                    }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Open::Map {
                        anchor, entries, ..
                    }) => (Node::Map(entries), anchor),
                    Some(Open::Seq { anchor, items }) => (Node::Seq(items), anchor),
                    None => return Err(at("unbalanced collection end".to_string())),
                };
                return self.value(node, anchor, line as u32).map_err(at);
            }
            Event::Scalar(text, style, anchor, _) => {
                self.count(1).map_err(at)?;
                let plain = style == ScalarStyle::Plain;
                return self
                    .value(Node::Scalar(text.into_owned(), plain), anchor, line as u32)
                    .map_err(at);
            }
            Event::Alias(id) => {
                let node = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| at("alias to an unknown anchor".to_string()))?;
                self.count(size(&node)).map_err(at)?;
                return self.value(node, 0, line as u32).map_err(at);
            }
            Event::DocumentEnd => return Ok(self.done.is_some()),
            _ => {}
        }
        Ok(false)
    }

    fn count(&mut self, n: usize) -> Result<(), String> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(format!(
                "more than {MAX_NODES} YAML nodes, aliases expanded (MAX_NODES)"
            ));
        }
        Ok(())
    }

    /// A finished node: a key or value of the open map, an item of the open
    /// sequence, or the document.
    fn value(&mut self, node: Node, anchor: usize, line: u32) -> Result<bool, String> {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => {
                self.done = Some(node);
                Ok(true)
            }
            Some(Open::Seq { items, .. }) => {
                items.push(node);
                Ok(false)
            }
            Some(Open::Map { entries, key, .. }) => {
                match key.take() {
                    None => match node {
                        Node::Scalar(k, _) => *key = Some((k, line)),
                        _ => return Err("a map key that is not a scalar".to_string()),
                    },
                    Some((k, l)) => entries.push((k, l, node)),
                }
                Ok(false)
            }
        }
    }
}

/// Nodes in a tree (for the alias count).
fn size(n: &Node) -> usize {
    match n {
        Node::Scalar(..) => 1,
        Node::Seq(items) => 1 + items.iter().map(size).sum::<usize>(),
        Node::Map(m) => 1 + m.iter().map(|(_, _, v)| 1 + size(v)).sum::<usize>(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_keys() {
        let n = parse("on:\n  push:\n    branches: [main]\njobs:\n  a:\n    runs-on: x\n").unwrap();
        assert_eq!(n.entry("on").unwrap().0, 1);
        assert_eq!(n.entry("jobs").unwrap().0, 4);
        let a = n.get("jobs").unwrap().entry("a").unwrap();
        assert_eq!(a.0, 5);
    }

    #[test]
    fn aliases_expand_within_the_cap() {
        let n = parse("a: &x [1, 2]\nb: *x\n").unwrap();
        assert_eq!(n.get("b"), n.get("a"));
        let mut bomb = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            bomb.push_str(&format!(
                "l{i}: &l{i} [*l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}]\n"
            ));
        }
        let e = parse(&bomb).unwrap_err();
        assert!(e.message.contains("MAX_NODES"), "{}", e.message);
    }

    #[test]
    fn depth_is_capped() {
        // saphyr-parser stops flow nesting itself; block nesting reaches our cap.
        let e = parse(&"[".repeat(10_000)).unwrap_err();
        assert!(e.message.contains("recursion limit"), "{}", e.message);
        let block: String = (0..100)
            .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
            .collect();
        let e = parse(&block).unwrap_err();
        assert!(e.message.contains("MAX_DEPTH"), "{}", e.message);
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let e = parse("on:\n  push:\n   - a\n  b: [\n").unwrap_err();
        assert!(e.line >= 3, "{e:?}");
    }
}
