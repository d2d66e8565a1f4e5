//! The Azure Policy language: rule files, conditions, fields and aliases,
//! template functions, and mcpguard's three extensions (dereference, computed
//! facts, three-valued results).
//!
//! PUBLIC API CONTRACT (the engine and the reports depend on it; keep it):
//! - [`Rule`] with its metadata [`RuleMeta`], loaded by [`load_rule_text`],
//!   [`builtin_rules`] and [`load_rules_dir`];
//! - [`Rule::evaluate`] → [`Outcome`] with a three-valued [`Tri`] verdict;
//! - [`Params`]: parameter values after config/assignment overrides.

use std::collections::BTreeMap;

use serde_json::Value;

// The metadata travels with the findings, so the reports that print it need
// not import the policy language.
pub use crate::findings::RuleMeta;

use crate::findings::{Evidence, Severity, SkippedRule};
use crate::inventory::{InputKind, Inventory, Resource};

/// A three-valued truth: a condition over a value unknown before apply is
/// `Unknown`, never silently true or false.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    True,
    False,
    Unknown,
}

impl Tri {
    /// Kleene negation: not unknown is unknown.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        }
    }

    /// Kleene disjunction: true or unknown is true.
    pub fn or(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::True, _) | (_, Tri::True) => Tri::True,
            (Tri::False, Tri::False) => Tri::False,
            _ => Tri::Unknown,
        }
    }
}

impl From<bool> for Tri {
    fn from(b: bool) -> Tri {
        if b {
            Tri::True
        } else {
            Tri::False
        }
    }
}

/// The effect a rule's `then` resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Deny,
    Audit,
    Disabled,
    /// Any other effect (`auditIfNotExists`, `modify`, …), lower-cased.
    Other(String),
}

/// One parameter's definition (`parameters.<name>` in the rule file).
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDef {
    pub kind: String,
    pub default: Option<Value>,
    pub allowed: Option<Vec<Value>>,
    pub description: Option<String>,
}

/// Parameter values after overrides (config `rule` block, policy assignment).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params(pub BTreeMap<String, Value>);

/// The result of evaluating one rule's `if` on one resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub verdict: Tri,
    /// Values that decided the verdict (sensitive ones already redacted).
    pub evidence: Vec<Evidence>,
    /// For `Unknown`: the paths whose values were unknown.
    pub unknown: Vec<String>,
    /// The rendered message (for `True` and `Unknown`).
    pub message: String,
    /// The ARM path that decided the verdict, for pointing at a source line.
    pub decisive_path: Option<String>,
}

pub mod alias;
pub mod builtin;
pub mod condition;
pub mod eval;
pub mod expr;
pub mod functions;
pub mod partial;

use miette::{Diagnostic, SourceSpan};

use crate::input::{Excerpt, Masking};

pub use alias::load_alias_file;

/// A rule file that cannot be used: a miette diagnostic pointing at the bad
/// spot of the file.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{file}: {message}")]
#[diagnostic(code(mcpguard::rule))]
pub struct RuleError {
    pub file: String,
    pub message: String,
    #[source_code]
    pub src: Option<Excerpt>,
    #[label("here")]
    pub span: Option<SourceSpan>,
}

impl RuleError {
    fn new(file: &str, text: &str, message: impl Into<String>, near: Option<&str>) -> Self {
        let e = RuleError {
            file: file.to_string(),
            message: message.into(),
            src: None,
            span: None,
        };
        match near.and_then(|n| locate(text, n)) {
            Some((start, len)) => e.at(text, start, len),
            None => e,
        }
    }

    /// Points the error at a byte range of the rule file, through the same
    /// bounded excerpt as input errors (rule files are not masked).
    fn at(mut self, text: &str, start: usize, len: usize) -> Self {
        let (excerpt, span) = Excerpt::new(&self.file, text, start, len, Masking::None);
        self.src = Some(excerpt);
        self.span = Some(span);
        self
    }
}

/// Where a key or value sits in the file: its first quoted occurrence. JSON
/// rule files are small, and the token named in an error is distinctive.
fn locate(text: &str, near: &str) -> Option<(usize, usize)> {
    let quoted = serde_json::to_string(near).ok()?;
    text.find(&quoted)
        .map(|i| (i, quoted.len()))
        .or_else(|| text.find(near).map(|i| (i, near.len())))
}

/// An evaluation failure (a type mismatch, a missing parameter).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EvalError(pub String);

/// A loaded rule: metadata, parameters and the parsed condition.
#[derive(Debug, Clone)]
pub struct Rule {
    pub meta: RuleMeta,
    pub file: String,
    pub builtin: bool,
    pub mode: String,
    pub parameters: BTreeMap<String, ParamDef>,
    condition: condition::Cond,
    effect: expr::Template,
}

/// Types without location and tags: an `Indexed` definition skips them.
const UNINDEXED_TYPES: &[&str] = &[
    "Microsoft.Network/networkSecurityGroups/securityRules",
    "Microsoft.Network/virtualNetworks/subnets",
    "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
    "Microsoft.Graph/applications/federatedIdentityCredentials",
    "Microsoft.Authorization/roleAssignments",
    "Microsoft.Authorization/policyDefinitions",
    "Microsoft.Authorization/policyAssignments",
    "Microsoft.ApiManagement/service/apis/policies",
    "Microsoft.ApiManagement/service/policies",
];

const OWN_KEYS: &[&str] = &[
    "id",
    "severity",
    "title",
    "description",
    "remediation",
    "message",
    "references",
    "appliesTo",
    "helpUri",
    "tags",
    "mode",
    "policyRule",
    "parameters",
    "displayName",
    "metadata",
    "$schema",
];

impl Rule {
    /// The ARM types the rule can match (from a top-level `type` condition),
    /// `None` when it can match any type.
    pub fn arm_types(&self) -> Option<Vec<String>> {
        fn of(c: &condition::Cond) -> Option<Vec<String>> {
            match c {
                condition::Cond::Leaf {
                    subject: condition::Subject::Field(condition::FieldSpec::Static(f)),
                    op,
                    operand: expr::Template::Lit(v),
                } if f.text.eq_ignore_ascii_case("type") => match (op, v) {
                    (condition::Op::Equals, Value::String(s)) => Some(vec![s.clone()]),
                    (condition::Op::In, Value::Array(a)) => {
                        a.iter().map(|x| x.as_str().map(str::to_string)).collect()
                    }
                    _ => None,
                },
                condition::Cond::AllOf(kids) => kids.iter().find_map(of),
                _ => None,
            }
        }
        of(&self.condition)
    }

    pub fn resolve_params(&self, overrides: &BTreeMap<String, Value>) -> Result<Params, String> {
        let mut out = BTreeMap::new();
        for (name, def) in &self.parameters {
            if let Some(d) = &def.default {
                out.insert(name.clone(), d.clone());
            }
        }
        for (k, v) in overrides {
            let Some((name, def)) = self
                .parameters
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(k))
            else {
                let known: Vec<&str> = self.parameters.keys().map(String::as_str).collect();
                return Err(format!(
                    "no parameter `{k}` (parameters: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ));
            };
            let ok = match def.kind.to_ascii_lowercase().as_str() {
                "array" => v.is_array(),
                "string" | "datetime" => v.is_string(),
                "integer" => v.is_i64() || v.is_u64(),
                "float" => v.is_number(),
                "boolean" => v.is_boolean(),
                "object" => v.is_object(),
                _ => true,
            };
            if !ok {
                return Err(format!(
                    "parameter `{name}` must be of type {}, got `{v}`",
                    def.kind
                ));
            }
            if let Some(allowed) = &def.allowed {
                if !allowed.iter().any(|a| a == v) {
                    return Err(format!(
                        "parameter `{name}`: `{v}` is not one of the allowed values"
                    ));
                }
            }
            out.insert(name.clone(), v.clone());
        }
        Ok(Params(out))
    }

    pub fn effect(&self, params: &Params) -> Result<Effect, EvalError> {
        let v = match &self.effect {
            expr::Template::Lit(v) => v.clone(),
            expr::Template::Expr(e) => {
                let env = ParamEnv(params);
                match expr::eval(e, &env).map_err(EvalError)? {
                    expr::Val::Known(v) => v,
                    expr::Val::Unknown(p) => {
                        return Err(EvalError(format!("effect depends on unknown `{p}`")))
                    }
                }
            }
        };
        let s = expr::canonical(&v).to_ascii_lowercase();
        Ok(match s.as_str() {
            "deny" => Effect::Deny,
            "audit" => Effect::Audit,
            "disabled" => Effect::Disabled,
            _ if EFFECTS.contains(&s.as_str()) => Effect::Other(s),
            // A config value (`rule "X" { effect = "dney" }`) not checked at load.
            _ => {
                return Err(EvalError(format!(
                    "effect `{s}` is not an Azure Policy effect (one of: {})",
                    EFFECTS.join(", ")
                )))
            }
        })
    }

    pub fn mode_applies(&self, res: &Resource) -> bool {
        if !self.mode.eq_ignore_ascii_case("indexed") {
            return true;
        }
        !UNINDEXED_TYPES
            .iter()
            .any(|t| t.eq_ignore_ascii_case(res.arm_type()))
    }

    pub fn aliases(&self) -> Vec<String> {
        let mut out = Vec::new();
        condition::fields(&self.condition, &mut out);
        let mut seen = std::collections::BTreeSet::new();
        out.retain(|f| seen.insert(f.to_ascii_lowercase()));
        out
    }

    /// Aliases the rule reads that the alias table does not know.
    pub fn unknown_aliases(&self) -> Vec<String> {
        self.aliases()
            .into_iter()
            .flat_map(|f| f.split(" -> ").map(str::to_string).collect::<Vec<_>>())
            .filter(|p| condition::parse_part(p).unknown_alias)
            .collect()
    }

    pub fn evaluate(
        &self,
        res: &Resource,
        inv: &Inventory,
        params: &Params,
    ) -> Result<Outcome, EvalError> {
        let mut ctx = eval::Ctx::new(res, inv, params);
        let r = ctx.eval(&self.condition).map_err(EvalError)?;
        let mut unknown = r.unknown;
        unknown.sort();
        unknown.dedup();
        let message = match (r.tri, &self.meta.message) {
            (Tri::False, _) => String::new(),
            (_, Some(t)) => eval::render(t, &mut ctx),
            (_, None) => self.meta.title.clone(),
        };
        let mut evidence = r.evidence;
        let mut seen = std::collections::BTreeSet::new();
        evidence.retain(|e| seen.insert((e.path.clone(), e.value.to_string())));
        // The deepest deciding value: its attribute line is the most precise location.
        let decisive_path = evidence
            .last()
            .map(|e| e.path.split(" -> ").next().unwrap_or("").to_string());
        Ok(Outcome {
            verdict: r.tri,
            evidence,
            unknown,
            message,
            decisive_path,
        })
    }
}

/// Parameters only: for expressions outside a resource (the effect).
struct ParamEnv<'a>(&'a Params);

impl expr::Env for ParamEnv<'_> {
    fn parameter(&self, name: &str) -> Result<Value, String> {
        self.0
             .0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .ok_or_else(|| format!("parameter `{name}` has no value"))
    }
    fn field(&self, name: &str) -> expr::Val {
        expr::Val::Unknown(format!("field('{name}') outside a resource"))
    }
    fn current(&self, _: Option<&str>) -> Result<expr::Val, String> {
        Err("current() outside a count".into())
    }
    fn resource_id(&self) -> String {
        String::new()
    }
}

fn get_ci<'a>(m: &'a serde_json::Map<String, Value>, k: &str) -> Option<&'a Value> {
    m.get(k).or_else(|| {
        m.iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
            .map(|(_, v)| v)
    })
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Loads a rule file: mcpguard's shape (`{"id", "severity", …, "policyRule"}`)
/// or an Azure Policy definition (`{"properties": {"policyRule", …}}`, or the
/// bare `{"policyRule", …}`).
pub fn load_rule_text(file: &str, text: &str, builtin: bool) -> Result<Rule, RuleError> {
    let v: Value = serde_json::from_str(text).map_err(|e| {
        let off = crate::input::offset_of(text, e.line(), e.column());
        RuleError::new(file, text, format!("not valid JSON: {e}"), None).at(text, off, 0)
    })?;
    let top = v
        .as_object()
        .ok_or_else(|| RuleError::new(file, text, "a rule file must be a JSON object", None))?;
    let stem = std::path::Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| file.to_string());
    let own = top.contains_key("id")
        && get_ci(top, "policyRule").is_some()
        && top.contains_key("severity");
    let (def, meta) = if own {
        for k in top.keys() {
            if !OWN_KEYS.iter().any(|o| o.eq_ignore_ascii_case(k)) {
                return Err(RuleError::new(
                    file,
                    text,
                    format!("unknown key `{k}` in a rule file"),
                    Some(k),
                ));
            }
        }
        let sev_text = top.get("severity").and_then(Value::as_str).unwrap_or("");
        let severity = Severity::parse(sev_text).ok_or_else(|| {
            RuleError::new(
                file,
                text,
                format!("severity must be low, medium, high or critical, got `{sev_text}`"),
                Some("severity"),
            )
        })?;
        let mut applies_to = Vec::new();
        for k in strings(top.get("appliesTo")) {
            applies_to.push(match k.as_str() {
                "plan" => InputKind::Plan,
                "terraform" => InputKind::Terraform,
                "arm" => InputKind::Arm,
                other => {
                    return Err(RuleError::new(
                        file,
                        text,
                        format!("appliesTo: unknown input kind `{other}`"),
                        Some(other),
                    ))
                }
            });
        }
        let s = |k: &str| top.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let meta = RuleMeta {
            id: s("id"),
            severity,
            title: s("title"),
            description: s("description"),
            remediation: s("remediation"),
            message: top
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_string),
            references: strings(top.get("references")),
            applies_to,
            help_uri: top
                .get("helpUri")
                .and_then(Value::as_str)
                .map(str::to_string),
            tags: strings(top.get("tags")),
        };
        (top, meta)
    } else {
        let props = match get_ci(top, "properties").and_then(Value::as_object) {
            Some(p) if get_ci(p, "policyRule").is_some() => p,
            _ if get_ci(top, "policyRule").is_some() => top,
            _ => {
                return Err(RuleError::new(
                    file,
                    text,
                    "not a policy definition: no `policyRule`",
                    None,
                ))
            }
        };
        let md = get_ci(props, "metadata");
        let severity = md
            .and_then(|m| m.get("severity"))
            .and_then(Value::as_str)
            .and_then(Severity::parse)
            .unwrap_or(Severity::Medium);
        let title = get_ci(props, "displayName")
            .and_then(Value::as_str)
            .unwrap_or(&stem)
            .to_string();
        let meta = RuleMeta {
            id: top
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(&stem)
                .to_string(),
            severity,
            title: title.clone(),
            description: get_ci(props, "description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            remediation: String::new(),
            message: None,
            references: Vec::new(),
            applies_to: Vec::new(),
            help_uri: None,
            tags: md
                .and_then(|m| m.get("category"))
                .and_then(Value::as_str)
                .map(|c| vec![c.to_string()])
                .unwrap_or_default(),
        };
        (props, meta)
    };
    let rule = get_ci(def, "policyRule")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            RuleError::new(
                file,
                text,
                "`policyRule` must be an object",
                Some("policyRule"),
            )
        })?;
    let if_ = get_ci(rule, "if").ok_or_else(|| {
        RuleError::new(file, text, "`policyRule` has no `if`", Some("policyRule"))
    })?;
    let then = get_ci(rule, "then")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            RuleError::new(
                file,
                text,
                "`policyRule` has no `then` object",
                Some("policyRule"),
            )
        })?;
    let condition =
        condition::parse(if_).map_err(|e| RuleError::new(file, text, e.message, Some(&e.near)))?;
    let effect_v = get_ci(then, "effect")
        .ok_or_else(|| RuleError::new(file, text, "`then` has no `effect`", Some("then")))?;
    let effect = match effect_v {
        Value::String(s) => {
            expr::parse_template(s).map_err(|e| RuleError::new(file, text, e, Some(s)))?
        }
        other => {
            return Err(RuleError::new(
                file,
                text,
                format!("`effect` must be a string, got `{other}`"),
                Some("effect"),
            ))
        }
    };
    let mut parameters = BTreeMap::new();
    if let Some(ps) = get_ci(def, "parameters") {
        let ps = ps.as_object().ok_or_else(|| {
            RuleError::new(
                file,
                text,
                "`parameters` must be an object",
                Some("parameters"),
            )
        })?;
        for (name, p) in ps {
            let p = p.as_object().ok_or_else(|| {
                RuleError::new(
                    file,
                    text,
                    format!("parameter `{name}` must be an object"),
                    Some(name),
                )
            })?;
            parameters.insert(
                name.clone(),
                ParamDef {
                    kind: get_ci(p, "type")
                        .and_then(Value::as_str)
                        .unwrap_or("String")
                        .to_string(),
                    default: get_ci(p, "defaultValue").cloned(),
                    allowed: get_ci(p, "allowedValues")
                        .and_then(Value::as_array)
                        .cloned(),
                    description: get_ci(p, "metadata")
                        .and_then(|m| m.get("description"))
                        .and_then(Value::as_str)
                        .map(str::to_string),
                },
            );
        }
    }
    let mode = get_ci(def, "mode")
        .and_then(Value::as_str)
        .unwrap_or("Indexed")
        .to_string();
    let bad = |message: String, near: &str| RuleError::new(file, text, message, Some(near));
    check_templates(&Value::Object(rule.clone()), &parameters, false)
        .map_err(|(m, near)| bad(m, &near))?;
    check_effect(effect_v, &parameters).map_err(|(m, near)| bad(m, &near))?;
    let _ = &meta;
    Ok(Rule {
        meta,
        file: file.to_string(),
        builtin,
        mode,
        parameters,
        condition,
        effect,
    })
}

pub use builtin::builtin_rules;

/// Azure Policy's effects, lower-cased: the documented list
/// (learn.microsoft.com, "Azure Policy definitions effect basics"), then the
/// data-plane and legacy ones that real built-ins still allow
/// (`auditAction` beside `denyAction`, AKS `enforceRegoPolicy`, Machine
/// Learning `enforceSetting`): a real definition never fails to load.
pub const EFFECTS: &[&str] = &[
    "addtonetworkgroup",
    "append",
    "audit",
    "auditifnotexists",
    "deny",
    "denyaction",
    "deployifnotexists",
    "disabled",
    "manual",
    "modify",
    "mutate",
    "auditaction",
    "enforceregopolicy",
    "enforcesetting",
];

fn is_effect(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| EFFECTS.contains(&s.to_ascii_lowercase().as_str()))
}

/// A literal effect must be one of [`EFFECTS`]; an effect taken from a
/// parameter must have a default and allowed values among them. Returns the
/// message and the text to point at.
fn check_effect(v: &Value, params: &BTreeMap<String, ParamDef>) -> Result<(), (String, String)> {
    let s = v.as_str().unwrap_or_default();
    let not_one = |what: &str| {
        format!(
            "{what} is not an Azure Policy effect (one of: {})",
            EFFECTS.join(", ")
        )
    };
    match expr::parse_template(s) {
        Ok(expr::Template::Lit(_)) if !is_effect(v) => {
            Err((not_one(&format!("effect `{s}`")), s.to_string()))
        }
        Ok(expr::Template::Expr(expr::Expr::Call(f, args))) if f == "parameters" => {
            let Some(expr::Expr::Lit(Value::String(name))) = args.first() else {
                return Ok(());
            };
            let Some((_, def)) = params.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) else {
                return Ok(()); // reported by check_templates
            };
            let values = def.default.iter().chain(def.allowed.iter().flatten());
            match values.into_iter().find(|v| !is_effect(v)) {
                Some(bad) => Err((
                    not_one(&format!("parameter `{name}` allows `{bad}`, which")),
                    bad.as_str().unwrap_or(name).to_string(),
                )),
                None => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

/// Every template string under `policyRule`: it names only declared
/// parameters, and calls `current()` only inside a `count`'s `where`.
fn check_templates(
    v: &Value,
    params: &BTreeMap<String, ParamDef>,
    in_where: bool,
) -> Result<(), (String, String)> {
    match v {
        Value::String(s) => {
            let Ok(expr::Template::Expr(e)) = expr::parse_template(s) else {
                return Ok(()); // parse errors are the condition parser's
            };
            let mut refs = Vec::new();
            expr::calls_to(&e, "parameters", &mut refs);
            for args in refs {
                if let Some(expr::Expr::Lit(Value::String(name))) = args.first() {
                    if !params.keys().any(|k| k.eq_ignore_ascii_case(name)) {
                        let declared: Vec<&str> = params.keys().map(String::as_str).collect();
                        let declared = if declared.is_empty() {
                            "none".to_string()
                        } else {
                            declared.join(", ")
                        };
                        return Err((
                            format!("`{s}` names parameter `{name}`, which the rule does not declare (declared: {declared})"),
                            s.clone(),
                        ));
                    }
                }
            }
            let mut cur = Vec::new();
            expr::calls_to(&e, "current", &mut cur);
            if !cur.is_empty() && !in_where {
                return Err((
                    format!("`{s}` calls current() outside the `where` of a `count`"),
                    s.clone(),
                ));
            }
            Ok(())
        }
        Value::Array(a) => a
            .iter()
            .try_for_each(|x| check_templates(x, params, in_where)),
        Value::Object(m) => {
            for (k, x) in m {
                // A deployIfNotExists deployment's ARM template has its own
                // `parameters` scope; the values passed to it are checked.
                let arm_template = k.eq_ignore_ascii_case("template")
                    && x.as_object()
                        .is_some_and(|t| get_ci(t, "resources").is_some());
                if arm_template {
                    continue;
                }
                let count_where = k.eq_ignore_ascii_case("count")
                    && x.as_object().is_some_and(|c| get_ci(c, "where").is_some());
                if count_where {
                    for (ck, cx) in x.as_object().into_iter().flatten() {
                        let w = in_where || ck.eq_ignore_ascii_case("where");
                        check_templates(cx, params, w)?;
                    }
                } else {
                    check_templates(x, params, in_where)?;
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// An error about a path, with no excerpt.
fn path_error(p: &std::path::Path, message: impl Into<String>) -> RuleError {
    RuleError {
        file: p.display().to_string(),
        message: message.into(),
        src: None,
        span: None,
    }
}

/// The `.json` files under `dir`, walked once per real directory: a symlink
/// back to an ancestor is named as a loop (not read again and again until
/// every rule id looks defined twice), and an entry that cannot be resolved
/// (a dangling symlink, a loop) is an error, not a silently smaller pack.
fn rule_files(dir: &std::path::Path) -> (Vec<std::path::PathBuf>, Vec<RuleError>) {
    use std::path::PathBuf;
    let (mut files, mut errors) = (Vec::new(), Vec::new());
    let canon = |p: &std::path::Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let mut seen = std::collections::BTreeSet::from([canon(dir)]);
    let mut stack: Vec<PathBuf> = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = match std::fs::read_dir(&d) {
            Ok(rd) => rd,
            Err(e) => {
                let why = e.to_string().to_lowercase();
                errors.push(path_error(&d, format!("cannot read directory: {why}")));
                continue;
            }
        };
        for e in rd {
            let p = match e {
                Ok(e) => e.path(),
                Err(e) => {
                    let why = e.to_string().to_lowercase();
                    errors.push(path_error(&d, format!("cannot list directory: {why}")));
                    continue;
                }
            };
            let json = p
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("json"));
            match std::fs::metadata(&p) {
                Ok(m) if m.is_dir() => {
                    let c = canon(&p);
                    if seen.insert(c.clone()) {
                        stack.push(p);
                    } else if canon(&d).starts_with(&c) {
                        errors.push(path_error(
                            &p,
                            format!("a symlink loop: it leads back to {}", c.display()),
                        ));
                    } else {
                        errors.push(path_error(
                            &p,
                            format!("{} is reached twice (through a symlink)", c.display()),
                        ));
                    }
                }
                // Read (and refused there if it is not a regular file).
                _ if json => files.push(p),
                Ok(_) => {}
                Err(_) => {
                    if let Err(e) = crate::input::regular_file(&p) {
                        errors.push(path_error(&p, e.message));
                    }
                }
            }
        }
    }
    (files, errors)
}

/// Loads every `.json` file under `dir` (recursively). Files that are not
/// policy definitions, and definitions mcpguard cannot evaluate offline
/// (resource-provider modes, effects that look at other resources, aliases it
/// does not know), are listed as skipped with the reason.
pub fn load_rules_dir(dir: &std::path::Path) -> (Vec<Rule>, Vec<RuleError>, Vec<SkippedRule>) {
    let (mut files, walk_errors) = rule_files(dir);
    files.sort();
    let (mut rules, mut errors, mut skipped) = (Vec::new(), walk_errors, Vec::new());
    for p in files {
        let shown = p.display().to_string();
        let text = match crate::input::read_text(&p) {
            Ok(t) => t,
            Err(e) => {
                errors.push(RuleError {
                    file: shown,
                    message: e.message,
                    src: None,
                    span: None,
                });
                continue;
            }
        };
        let probe: Option<Value> = serde_json::from_str(&text).ok();
        let is_policy = probe.as_ref().is_some_and(|v| {
            v.get("policyRule").is_some()
                || v.get("properties")
                    .and_then(|p| p.get("policyRule"))
                    .is_some()
        });
        if probe.is_some() && !is_policy {
            skipped.push(SkippedRule {
                rule: shown.clone(),
                file: shown,
                reason: "not a policy definition (no policyRule)".into(),
            });
            continue;
        }
        match load_rule_text(&shown, &text, false) {
            Ok(rule) => {
                let skip = |reason: String| SkippedRule {
                    rule: rule.meta.id.clone(),
                    file: shown.clone(),
                    reason,
                };
                let mode = rule.mode.to_ascii_lowercase();
                if mode != "all" && mode != "indexed" {
                    skipped.push(skip(format!("resource-provider mode `{}`", rule.mode)));
                    continue;
                }
                match rule
                    .resolve_params(&BTreeMap::new())
                    .ok()
                    .and_then(|p| rule.effect(&p).ok())
                {
                    Some(Effect::Deny | Effect::Audit) => {}
                    Some(Effect::Disabled) => {
                        skipped.push(skip("effect is disabled by default".into()));
                        continue;
                    }
                    Some(Effect::Other(e)) => {
                        skipped.push(skip(format!(
                            "effect `{e}` needs resources or changes outside the inventory"
                        )));
                        continue;
                    }
                    None => {
                        skipped.push(skip("effect has no default value".into()));
                        continue;
                    }
                }
                let unknown = rule.unknown_aliases();
                if !unknown.is_empty() {
                    skipped.push(skip(format!(
                        "aliases not in the alias table: {}",
                        unknown.join(", ")
                    )));
                    continue;
                }
                rules.push(rule);
            }
            Err(e) => errors.push(e),
        }
    }
    (rules, errors, skipped)
}
