//! The line each resource declaration of a template stands on, by the JSON
//! path the expansion names it with (`resources[2]`, `resources.app`,
//! `resources[0].properties.template.resources[1]`, a child's
//! `resources[3].resources[0]`), so findings on a template land on the
//! code as Terraform's and Bicep's do. Built in one pass over the text,
//! which keeps the slices it parses (`RawValue`) and so their offsets.

use std::collections::HashMap;

use serde_json::value::RawValue;

use crate::input::lines::Lines;

/// Declaration path → 1-based line.
#[derive(Default)]
pub struct DeclarationLines {
    by_path: HashMap<String, u32>,
}

impl DeclarationLines {
    /// `text` is the template as parsed (comments blanked, offsets kept).
    pub fn of(text: &str) -> DeclarationLines {
        let mut out = DeclarationLines::default();
        let lines = Lines::new(text);
        if let Ok(root) = serde_json::from_str::<&RawValue>(text) {
            out.index(root, "", &lines);
        }
        out
    }

    /// The line of the declaration a resource's path names: every copy of a
    /// loop shares its declaration's, and an inline child (a VNet's subnet)
    /// its parent's.
    pub fn line(&self, detail: &str) -> Option<u32> {
        let mut path = without_copies(detail);
        loop {
            if let Some(l) = self.by_path.get(&path) {
                return Some(*l);
            }
            let cut = path.rfind('.')?;
            path.truncate(cut);
        }
    }

    fn index(&mut self, value: &RawValue, prefix: &str, lines: &Lines) {
        let Ok(fields) = serde_json::from_str::<HashMap<String, &RawValue>>(value.get()) else {
            return;
        };
        if let Some(resources) = fields.get("resources") {
            for (step, decl) in declarations(resources) {
                let path = format!("{prefix}resources{step}");
                self.by_path.insert(path.clone(), lines.of(decl.get()));
                self.index(decl, &format!("{path}."), lines);
                if let Some(tpl) = nested_template(decl) {
                    self.index(tpl, &format!("{path}.properties.template."), lines);
                }
            }
        }
    }
}

/// `[i]` for an array's elements, `.name` for a 2.0 object's.
fn declarations(resources: &RawValue) -> Vec<(String, &RawValue)> {
    if let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(resources.get()) {
        return items
            .into_iter()
            .enumerate()
            .map(|(i, r)| (format!("[{i}]"), r))
            .collect();
    }
    serde_json::from_str::<HashMap<String, &RawValue>>(resources.get())
        .map(|m| m.into_iter().map(|(k, r)| (format!(".{k}"), r)).collect())
        .unwrap_or_default()
}

/// A deployment's inline `properties.template`.
fn nested_template(decl: &RawValue) -> Option<&RawValue> {
    let fields: HashMap<String, &RawValue> = serde_json::from_str(decl.get()).ok()?;
    let props: HashMap<String, &RawValue> =
        serde_json::from_str(fields.get("properties")?.get()).ok()?;
    props.get("template").copied()
}

/// `resources[0][copy 3].resources[1]` → `resources[0].resources[1]`.
fn without_copies(detail: &str) -> String {
    let mut out = String::with_capacity(detail.len());
    let mut rest = detail;
    while let Some(at) = rest.find("[copy ") {
        out.push_str(&rest[..at]);
        rest = rest[at..].find(']').map_or("", |end| &rest[at + end + 1..]);
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_by_path() {
        let t = "{\n \"resources\": [\n  {\"type\": \"a\"},\n  {\"type\": \"Microsoft.Resources/deployments\",\n   \"properties\": {\"template\": {\"resources\": {\n    \"x\": {\"type\": \"b\"}}}}}\n ]\n}";
        let l = DeclarationLines::of(t);
        assert_eq!(l.line("resources[0]"), Some(3));
        assert_eq!(l.line("resources[0][copy 4]"), Some(3));
        assert_eq!(
            l.line("resources[1].properties.template.resources.x"),
            Some(6)
        );
        assert_eq!(l.line("resources[0].properties.subnets[1]"), Some(3));
        assert_eq!(l.line("elsewhere"), None);
    }
}
