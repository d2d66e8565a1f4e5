//! The built-in rule pack: `rules/*.json`, embedded in the binary.

use super::{load_rule_text, Rule, RuleError};

/// (file name, text) of every built-in rule. A test checks that every file in
/// `rules/` is listed here.
pub const FILES: &[(&str, &str)] = &[
    ("MCP001.json", include_str!("../../rules/MCP001.json")),
    ("MCP002.json", include_str!("../../rules/MCP002.json")),
    ("MCP003.json", include_str!("../../rules/MCP003.json")),
    ("MCP004.json", include_str!("../../rules/MCP004.json")),
    ("MCP005.json", include_str!("../../rules/MCP005.json")),
    ("MCP006.json", include_str!("../../rules/MCP006.json")),
    ("MCP007.json", include_str!("../../rules/MCP007.json")),
    ("MCP008.json", include_str!("../../rules/MCP008.json")),
    ("MCP009.json", include_str!("../../rules/MCP009.json")),
    ("MCP010.json", include_str!("../../rules/MCP010.json")),
    ("MCP011.json", include_str!("../../rules/MCP011.json")),
    ("MCP012.json", include_str!("../../rules/MCP012.json")),
    ("MCP013.json", include_str!("../../rules/MCP013.json")),
    ("MCP014.json", include_str!("../../rules/MCP014.json")),
    ("MCP015.json", include_str!("../../rules/MCP015.json")),
    ("MCP016.json", include_str!("../../rules/MCP016.json")),
    ("MCP017.json", include_str!("../../rules/MCP017.json")),
    ("MCP018.json", include_str!("../../rules/MCP018.json")),
    ("MCP019.json", include_str!("../../rules/MCP019.json")),
    ("MCP020.json", include_str!("../../rules/MCP020.json")),
    ("MCP021.json", include_str!("../../rules/MCP021.json")),
    ("MCP022.json", include_str!("../../rules/MCP022.json")),
    ("MCP023.json", include_str!("../../rules/MCP023.json")),
    ("MCP024.json", include_str!("../../rules/MCP024.json")),
    ("MCP025.json", include_str!("../../rules/MCP025.json")),
    ("MCP026.json", include_str!("../../rules/MCP026.json")),
];

pub fn builtin_rules() -> Result<Vec<Rule>, RuleError> {
    FILES
        .iter()
        .map(|(name, text)| load_rule_text(&format!("rules/{name}"), text, true))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_rule_file_is_embedded() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".json"))
            .collect();
        on_disk.sort();
        let embedded: Vec<String> = super::FILES.iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(on_disk, embedded);
        assert_eq!(super::builtin_rules().unwrap().len(), embedded.len());
    }
}
