//! `dependsOn`: ARM refuses a template whose resources depend on each other
//! in a circle, so mcpguard does too (with the entry that closes it).
//! An entry names a resource by symbolic name (languageVersion 2.0), by id
//! (`resourceId(...)`), by name, or a whole copy loop by its name.

use std::collections::HashMap;

use serde_json::Value as Json;

use super::eval::{eval_str, Failed, Scope};
use crate::inventory::Value;

/// One resource instance in the dependency graph.
pub struct Node {
    keys: Vec<String>,
    /// Each known entry (lower case) with the template text it came from.
    deps: Vec<(String, String)>,
}

fn key(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim_end_matches('/').to_ascii_lowercase()),
        Value::Partial(p) => Some(p.to_string().to_ascii_lowercase()),
        _ => None,
    }
}

impl Node {
    pub fn new(
        symbol: Option<&str>,
        id: &Value,
        name: &Value,
        loop_name: Option<&str>,
        depends: Option<&Json>,
        scope: &Scope,
    ) -> Result<Node, Failed> {
        let mut keys: Vec<String> = [key(id), key(name)].into_iter().flatten().collect();
        keys.extend(symbol.map(str::to_ascii_lowercase));
        keys.extend(loop_name.map(str::to_ascii_lowercase));
        let mut deps = Vec::new();
        for raw in depends.and_then(Json::as_array).into_iter().flatten() {
            let Json::String(s) = raw else { continue };
            // An entry not known yet orders nothing we can check.
            if let Some(k) = key(&eval_str(s, scope)?) {
                deps.push((k, s.clone()));
            }
        }
        Ok(Node { keys, deps })
    }
}

/// A circle of `dependsOn` among one template's resources is an error that
/// names the entry closing it.
pub fn check(nodes: &[Node]) -> Result<(), Failed> {
    let mut by_key: HashMap<&str, Vec<usize>> = HashMap::new();
    for (n, node) in nodes.iter().enumerate() {
        for k in &node.keys {
            by_key.entry(k.as_str()).or_default().push(n);
        }
    }
    let edges: Vec<Vec<(usize, &str)>> = nodes
        .iter()
        .enumerate()
        .map(|(n, node)| {
            let mut to: Vec<(usize, &str)> = node
                .deps
                .iter()
                .flat_map(|(k, raw)| {
                    by_key
                        .get(k.as_str())
                        .into_iter()
                        .flatten()
                        .map(move |&m| (m, raw.as_str()))
                })
                // A copy depending on its own loop's name is not a circle.
                .filter(|&(m, _)| m != n)
                .collect();
            to.dedup();
            to
        })
        .collect();
    // Iterative depth-first search: 0 unseen, 1 on the stack, 2 done.
    let mut state = vec![0u8; nodes.len()];
    for start in 0..nodes.len() {
        if state[start] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some(&mut (n, ref mut next)) = stack.last_mut() {
            if let Some(&(m, raw)) = edges[n].get(*next) {
                *next += 1;
                match state[m] {
                    0 => {
                        state[m] = 1;
                        stack.push((m, 0));
                    }
                    1 => {
                        return Err(Failed::from(format!(
                            "circular dependsOn: `{raw}` closes a cycle of {} resource(s); ARM refuses the template",
                            stack.iter().skip_while(|(x, _)| *x != m).count()
                        ))
                        .at(raw))
                    }
                    _ => {}
                }
            } else {
                state[n] = 2;
                stack.pop();
            }
        }
    }
    Ok(())
}
