//! Every function of Azure's ARM template function list ("ARM template
//! functions", learn.microsoft.com, by category) is in the one function
//! table shared with Azure Policy (`src/policy/functions/`), as implemented
//! or as known only at deployment; and what the implemented ones compute.

use mcpguard::inventory::Value;
use mcpguard::load::template::{read_template, TemplateOptions};
use mcpguard::policy::functions::{lookup, Kind, FUNCTIONS};

/// Azure's list, by category (the `sys` CIDR functions included).
const ARM_FUNCTIONS: &[(&str, &[&str])] = &[
    ("any", &["any"]),
    (
        "array",
        &[
            "array",
            "concat",
            "contains",
            "createArray",
            "empty",
            "first",
            "flatten",
            "indexFromEnd",
            "indexOf",
            "intersection",
            "last",
            "lastIndexOf",
            "length",
            "max",
            "min",
            "range",
            "skip",
            "take",
            "tryGet",
            "tryIndexFromEnd",
            "union",
        ],
    ),
    ("cidr", &["parseCidr", "cidrSubnet", "cidrHost"]),
    (
        "comparison",
        &[
            "coalesce",
            "equals",
            "greater",
            "greaterOrEquals",
            "less",
            "lessOrEquals",
        ],
    ),
    (
        "date",
        &[
            "dateTimeAdd",
            "dateTimeFromEpoch",
            "dateTimeToEpoch",
            "utcNow",
        ],
    ),
    (
        "deployment",
        &["deployment", "environment", "parameters", "variables"],
    ),
    (
        "lambda",
        &[
            "filter",
            "groupBy",
            "lambda",
            "lambdaVariables",
            "map",
            "mapValues",
            "reduce",
            "sort",
            "toObject",
        ],
    ),
    (
        "logical",
        &["and", "bool", "false", "if", "not", "or", "true"],
    ),
    (
        "numeric",
        &[
            "add",
            "copyIndex",
            "div",
            "float",
            "int",
            "max",
            "min",
            "mod",
            "mul",
            "sub",
        ],
    ),
    (
        "object",
        &[
            "contains",
            "createObject",
            "empty",
            "intersection",
            "items",
            "json",
            "length",
            "null",
            "objectKeys",
            "shallowMerge",
            "tryGet",
            "union",
        ],
    ),
    (
        "resource",
        &[
            "extensionResourceId",
            "listAccountSas",
            "listKeys",
            "listSecrets",
            "listConnectionStrings",
            "managementGroupResourceId",
            "pickZones",
            "providers",
            "reference",
            "references",
            "resourceId",
            "subscriptionResourceId",
            "tenantResourceId",
        ],
    ),
    (
        "scope",
        &["managementGroup", "resourceGroup", "subscription", "tenant"],
    ),
    (
        "string",
        &[
            "base64",
            "base64ToJson",
            "base64ToString",
            "concat",
            "contains",
            "dataUri",
            "dataUriToString",
            "empty",
            "endsWith",
            "first",
            "format",
            "guid",
            "indexOf",
            "join",
            "json",
            "last",
            "lastIndexOf",
            "length",
            "newGuid",
            "padLeft",
            "replace",
            "skip",
            "split",
            "startsWith",
            "string",
            "substring",
            "take",
            "toLower",
            "toUpper",
            "trim",
            "uniqueString",
            "uri",
            "uriComponent",
            "uriComponentToString",
        ],
    ),
];

/// Those whose value exists only once ARM deploys, or is ARM's own hash:
/// unknown, never guessed.
const UNKNOWN_BEFORE_DEPLOYMENT: &[&str] = &[
    "listAccountSas",
    "listKeys",
    "listSecrets",
    "listConnectionStrings",
    "pickZones",
    "providers",
    "reference",
    "references",
    "newGuid",
    "guid",
    "uniqueString",
];

#[test]
fn every_arm_function_is_in_the_table() {
    for (category, names) in ARM_FUNCTIONS {
        for name in *names {
            let f =
                lookup(name).unwrap_or_else(|| panic!("{category}: `{name}` is not in the table"));
            assert!(
                f.template,
                "{category}: `{name}` is not offered to templates"
            );
            let unknown = matches!(f.kind, Kind::DeploymentTime | Kind::Opaque);
            assert_eq!(
                unknown,
                UNKNOWN_BEFORE_DEPLOYMENT.contains(name),
                "{category}: `{name}` is {:?}",
                f.kind
            );
        }
    }
    // And the table has nothing for templates that Azure's list does not.
    for f in FUNCTIONS.iter().filter(|f| f.template) {
        let listed = ARM_FUNCTIONS
            .iter()
            .flat_map(|(_, ns)| ns.iter())
            .any(|n| n.eq_ignore_ascii_case(f.name) || (f.name == "list" && n.starts_with("list")));
        assert!(listed, "`{}` is not an ARM template function", f.name);
    }
}

/// One template output per expression, evaluated as a resource's tag.
fn eval(expr: &str) -> Value {
    let text = format!(
        r#"{{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "parameters": {{"list": {{"type": "array", "defaultValue": [3, 1, 2]}}}},
        "variables": {{"obj": {{"a": 1, "b": {{"c": "x"}}}}}},
        "functions": [{{"namespace": "my", "members": {{"twice": {{"parameters": [{{"name": "n", "type": "int"}}],
            "output": {{"type": "int", "value": "[mul(parameters('n'), 2)]"}}}}}}}}],
        "resources": [{{"type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2023-09-01",
            "name": "nsg", "tags": {{"v": {}}}}}]}}"#,
        serde_json::to_string(expr).unwrap()
    );
    let out = read_template("t.json", &text, &TemplateOptions::default()).expect("evaluates");
    out.resources[0].doc.pointer("/tags/v").cloned().unwrap()
}

fn json(v: serde_json::Value) -> Value {
    v.into()
}

#[test]
fn implemented_functions_compute_what_arm_does() {
    use serde_json::json as j;
    let cases: &[(&str, serde_json::Value)] = &[
        ("[concat('a', 'b')]", j!("ab")),
        ("[format('{0}-{1}', 'a', 1)]", j!("a-1")),
        ("[length(parameters('list'))]", j!(3)),
        ("[variables('obj').b.c]", j!("x")),
        ("[union(createObject('a', 1), createObject('b', 2))]", j!({"a": 1, "b": 2})),
        ("[if(equals(1, 1), 'y', 'n')]", j!("y")),
        ("[coalesce(null(), 'z')]", j!("z")),
        ("[map(parameters('list'), lambda('x', mul(lambdaVariables('x'), 10)))]", j!([30, 10, 20])),
        ("[filter(parameters('list'), lambda('x', greater(lambdaVariables('x'), 1)))]", j!([3, 2])),
        ("[reduce(parameters('list'), 0, lambda('acc', 'x', add(lambdaVariables('acc'), lambdaVariables('x'))))]", j!(6)),
        ("[sort(parameters('list'), lambda('a', 'b', less(lambdaVariables('a'), lambdaVariables('b'))))]", j!([1, 2, 3])),
        ("[toObject(createArray('a', 'b'), lambda('k', lambdaVariables('k')), lambda('k', 1))]", j!({"a": 1, "b": 1})),
        ("[my.twice(21)]", j!(42)),
        ("[base64ToString(base64('hi'))]", j!("hi")),
        ("[uriComponent('a b/c')]", j!("a%20b%2Fc")),
        ("[cidrSubnet('10.0.0.0/16', 24, 2)]", j!("10.0.2.0/24")),
        ("[parseCidr('10.1.2.0/24').lastUsable]", j!("10.1.2.254")),
        ("[dateTimeAdd('2026-01-01T00:00:00Z', 'P1D')]", j!("2026-01-02T00:00:00Z")),
        ("[dateTimeToEpoch('1970-01-02T00:00:00Z')]", j!(86400)),
        ("[split('a/b/c', '/')[2]]", j!("c")),
        ("[objectKeys(variables('obj'))]", j!(["a", "b"])),
        ("[items(createObject('k', 'v'))[0].value]", j!("v")),
        ("[tenantResourceId('Microsoft.Authorization/policyDefinitions', 'p')]", j!("/providers/Microsoft.Authorization/policyDefinitions/p")),
        ("[extensionResourceId('/subscriptions/s/resourceGroups/r', 'Microsoft.Authorization/locks', 'l')]", j!("/subscriptions/s/resourceGroups/r/providers/Microsoft.Authorization/locks/l")),
    ];
    for (expr, want) in cases {
        assert_eq!(eval(expr), json(want.clone()), "{expr}");
    }
}

#[test]
fn deployment_time_functions_are_unknown_or_partly_known() {
    for expr in [
        "[reference('x').properties]",
        "[listKeys('x', '2023-01-01').keys[0].value]",
        "[uniqueString(resourceGroup().id)]",
        "[deployment().name]",
        "[subscription().subscriptionId]",
        "[resourceGroup().location]",
    ] {
        assert!(eval(expr).is_unknown(), "{expr}");
    }
    let id = eval("[resourceId('Microsoft.Network/virtualNetworks', 'v')]");
    assert_eq!(
        id.as_partial().unwrap().to_string(),
        "/subscriptions/{unknown}/resourceGroups/{unknown}/providers/Microsoft.Network/virtualNetworks/v"
    );
}
