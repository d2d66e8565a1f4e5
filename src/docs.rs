//! Rule documentation: the page `rules show ID` prints and `docs/rules/<ID>.md`
//! checks in (a test fails when they drift). The body comes from the rule's
//! metadata (`report::rules::page`); this adds what only the parsed rule knows:
//! its parameters and the fields and aliases it reads.

use crate::policy::Rule;
use crate::report::rules::page;

/// One rule's page.
pub fn rule_page(rule: &Rule) -> String {
    let mut s = page(&rule.meta, env!("CARGO_PKG_VERSION"));
    if !rule.parameters.is_empty() {
        s.push_str(
            "\n## Parameters\n\n| name | type | default | description |\n|---|---|---|---|\n",
        );
        for (name, p) in &rule.parameters {
            let default = p
                .default
                .as_ref()
                .map(|d| format!("`{d}`"))
                .unwrap_or_else(|| "(unset)".to_string());
            s.push_str(&format!(
                "| `{name}` | {} | {default} | {} |\n",
                p.kind,
                p.description.as_deref().unwrap_or("").replace('|', "\\|")
            ));
        }
        s.push_str(&format!(
            "\nSet them in `.mcpguard.hcl`: `rule \"{}\" {{ {} = ... }}`.\n",
            rule.meta.id,
            rule.parameters
                .keys()
                .next()
                .map(String::as_str)
                .unwrap_or("name")
        ));
    }
    let aliases = rule.aliases();
    if !aliases.is_empty() {
        s.push_str("\n## Fields and aliases read\n\n");
        for a in aliases {
            s.push_str(&format!("- `{a}`\n"));
        }
    }
    s
}

/// One item of the case study's hardening checklist and what checks it.
pub struct ChecklistItem {
    /// The item as the case study words it.
    pub item: &'static str,
    /// The rules that check it (empty: no static tool can).
    pub rules: &'static [&'static str],
    /// What those rules read, or why configuration cannot show the item.
    pub how: &'static str,
}

/// The case study's 16-item hardening checklist, in its order: the one
/// source of `rules list --checklist` and of the README's checklist table.
pub const CHECKLIST: &[ChecklistItem] = &[
    ChecklistItem {
        item: "No MCP servers running on developer workstations with access to shared corporate resources or production APIs",
        rules: &["MCP002"],
        how: "Outside configuration: a workstation is a client machine, not infrastructure code; device management (Intune, EDR inventory) sees it. MCP002 catches the infrastructure half: an MCP server deployed into a developer or runner subnet rather than the approved one",
    },
    ChecklistItem {
        item: "All MCP servers containerized in dedicated subnet (ACI or AKS) with user-assigned managed identity",
        rules: &["MCP001", "MCP002", "MCP004", "MCP005", "MCP007"],
        how: "Terraform plan and source, ARM: container groups, Container Apps, function and web apps, their subnets and NSGs, identities",
    },
    ChecklistItem {
        item: "MCPServer: true tag applied to every MCP container group resource",
        rules: &["MCP003"],
        how: "Terraform plan and source, ARM: tags, and MCP detection by image, name and settings",
    },
    ChecklistItem {
        item: "Azure Policy: require managed identity deployed and assigned at subscription scope",
        rules: &["MCP013"],
        how: "Terraform plan and source, ARM: policy definitions and assignments (and `--preflight` evaluates them)",
    },
    ChecklistItem {
        item: "Azure Policy: approved subnet only deployed and assigned at subscription scope for MCPServer-tagged resources",
        rules: &["MCP013"],
        how: "Terraform plan and source, ARM: policy definitions and assignments",
    },
    ChecklistItem {
        item: "APIM gateway deployed in front of all MCP servers enforcing JWT validation against Entra ID",
        rules: &["MCP011", "MCP012", "MCP016"],
        how: "Terraform plan and source, ARM: API Management service, APIs and MCP APIs, policy XML, Easy Auth",
    },
    ChecklistItem {
        item: "Entra ID scopes granular: read / write / admin / secrets as separate scopes",
        rules: &["MCP017"],
        how: "Terraform plan and source (`azuread_application`, its standalone scopes and roles), ARM/Bicep `Microsoft.Graph/applications`; the gateway's app from the APIM token audience",
    },
    ChecklistItem {
        item: "Conditional Access policy: block human users from acquiring mcp.tools.secrets scope",
        rules: &["MCP018"],
        how: "Terraform plan and source (`azuread_conditional_access_policy`), Graph snapshots: Conditional Access targets the application the secrets tier lives on",
    },
    ChecklistItem {
        item: "APIM rate limit: 50 tool calls per minute per principal",
        rules: &["MCP012", "MCP019"],
        how: "Terraform plan and source, ARM: policy XML (`rate-limit-by-key` and its `counter-key`)",
    },
    ChecklistItem {
        item: "All CI/CD pipelines use workload identity federation (OIDC) not stored client secrets",
        rules: &["MCP024", "MCP026"],
        how: "GitHub Actions workflows (`azure/login`, secrets in step environments); Azure Pipelines service connections are not read",
    },
    ChecklistItem {
        item: "Federated credential subject constraints scoped to specific branches only (not wildcard)",
        rules: &["MCP006", "MCP025"],
        how: "Terraform plan and source, ARM: federated credentials; with GitHub Actions workflows, their triggers against the subjects",
    },
    ChecklistItem {
        item: "All tool calls logging to Log Analytics workspace via Event Hub",
        rules: &["MCP012", "MCP014", "MCP020"],
        how: "Terraform plan and source, ARM: `log-to-eventhub` and its logger, Event Hubs, diagnostic settings to the workspace, the servers' own logs",
    },
    ChecklistItem {
        item: "KQL alert: write operations outside business hours from human user principals",
        rules: &["MCP021"],
        how: "Terraform plan and source, ARM: scheduled query alerts, their KQL read for what it filters, their action groups",
    },
    ChecklistItem {
        item: "KQL alert: file system access exceeding 100 reads or 20 unique directories per hour",
        rules: &["MCP022"],
        how: "Terraform plan and source, ARM: scheduled query alerts, their KQL read for what it counts and its thresholds",
    },
    ChecklistItem {
        item: "KQL alert: repeated 403 responses from same caller on restricted tool scopes",
        rules: &["MCP023"],
        how: "Terraform plan and source, ARM: scheduled query alerts, their KQL read for what it counts and its thresholds",
    },
    ChecklistItem {
        item: "Developer offboarding checklist includes MCP gateway consent revocation and runner credential audit",
        rules: &[],
        how: "Outside configuration: a runbook carried out when someone leaves. Revoking consent is an Entra operation at that moment, and the runner audit reads runners' live environments. What configuration can keep out beforehand is checked: personal tokens in workflows (MCP024), subjects that admit other refs (MCP006, MCP025)",
    },
];

/// The checklist as the Markdown table the README carries.
pub fn checklist_table() -> String {
    let mut s =
        String::from("| # | checklist item | rules | what they read |\n|---|---|---|---|\n");
    for (n, c) in CHECKLIST.iter().enumerate() {
        let rules = if c.rules.is_empty() {
            "none".to_string()
        } else {
            c.rules.join(", ")
        };
        s.push_str(&format!(
            "| {} | {} | {rules} | {} |\n",
            n + 1,
            c.item,
            c.how
        ));
    }
    s
}
