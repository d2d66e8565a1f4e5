#!/usr/bin/env python3
"""Writes a realistic `terraform show -json` plan of N copies of the MCP architecture.

Usage: gen_plan.py N > plan.json

Each copy is one instance of `module.mcp["srv-NNNN"]` holding ten resources: a
VNet, a subnet, an NSG with inline rules, two standalone rules, the
subnet/NSG association, a user-assigned identity, a container group (identity,
subnet, tags, env), a federated credential and a role assignment. Some copies
are non-compliant: a public IP (every 7th), no MCPServer tag (every 5th), a
wildcard federated subject (every 11th), a secret in a plain env var (every 13th).
Ids, principal ids and subnet ids are unknown (`after_unknown`), and
`configuration` carries the references that resolve them. Standard library only.
"""
import json
import sys

SUB = "6d1f0c8e-2b7a-4c59-9a0e-3f4b5c6d7e8f"


def ref(*r):
    return {"references": list(r)}


def const(v):
    return {"constant_value": v}


def rule(name, prio, direction, access, proto, dport, src, dst):
    return {
        "name": name, "priority": prio, "direction": direction, "access": access, "protocol": proto,
        "source_port_range": "*", "source_port_ranges": [], "destination_port_range": dport,
        "destination_port_ranges": [], "source_address_prefix": src, "source_address_prefixes": [],
        "destination_address_prefix": dst, "destination_address_prefixes": [], "description": "",
        "source_application_security_group_ids": [], "destination_application_security_group_ids": [],
    }


def copy(i):
    key = f"srv-{i:04d}"
    rg = f"rg-mcp-{key}"
    tags = {"environment": "prod", "owner": "platform", "cost-center": "cc-4711"}
    if i % 5 != 0:
        tags["MCPServer"] = "true"
    res = []

    def add(typ, name, after, unknown, sensitive=None):
        res.append((typ, name, after, unknown, sensitive or {}))

    add("azurerm_virtual_network", "this", {
        "name": f"vnet-{key}", "location": "westeurope", "resource_group_name": rg,
        "address_space": ["10.20.0.0/16"], "dns_servers": [], "bgp_community": None,
        "ddos_protection_plan": [], "encryption": [], "edge_zone": None, "flow_timeout_in_minutes": None,
        "private_endpoint_vnet_policies": "Disabled", "subnet": [], "tags": tags, "timeouts": None,
    }, {"id": True, "guid": True, "subnet": True, "tags": {}})
    add("azurerm_subnet", "this", {
        "name": "snet-mcp-servers", "resource_group_name": rg, "virtual_network_name": f"vnet-{key}",
        "address_prefixes": ["10.20.1.0/24"], "default_outbound_access_enabled": False,
        "delegation": [{"name": "aci", "service_delegation": [{"name": "Microsoft.ContainerInstance/containerGroups",
                        "actions": ["Microsoft.Network/virtualNetworks/subnets/action"]}]}],
        "private_endpoint_network_policies": "Disabled", "private_link_service_network_policies_enabled": True,
        "service_endpoint_policy_ids": None, "service_endpoints": ["Microsoft.KeyVault"], "timeouts": None,
    }, {"id": True, "address_prefixes": [False], "delegation": [{"service_delegation": [{"actions": [False]}]}]})
    inline = [
        rule("allow-gateway-in", 100, "Inbound", "Allow", "Tcp", "8080", "10.20.0.0/24", "*"),
        rule("deny-all-in", 4000, "Inbound", "Deny", "*", "*", "*", "*"),
        rule("allow-vnet-out", 200, "Outbound", "Allow", "*", "*", "*", "VirtualNetwork"),
    ]
    add("azurerm_network_security_group", "this", {
        "name": f"nsg-{key}", "location": "westeurope", "resource_group_name": rg,
        "security_rule": inline, "tags": tags, "timeouts": None,
    }, {"id": True, "security_rule": [{}, {}, {}], "tags": {}})
    egress = "Deny" if i % 3 else "Allow"
    add("azurerm_network_security_rule", "egress", dict(rule("internet-out", 300, "Outbound", egress, "*", "*", "*", "Internet"),
        resource_group_name=rg, network_security_group_name=f"nsg-{key}", timeouts=None), {"id": True})
    add("azurerm_network_security_rule", "https", dict(rule("https-out", 250, "Outbound", "Allow", "Tcp", "443", "*", "AzureCloud"),
        resource_group_name=rg, network_security_group_name=f"nsg-{key}", timeouts=None), {"id": True})
    add("azurerm_subnet_network_security_group_association", "this", {"timeouts": None},
        {"id": True, "subnet_id": True, "network_security_group_id": True})
    add("azurerm_user_assigned_identity", "this", {
        "name": f"id-{key}", "location": "westeurope", "resource_group_name": rg, "tags": tags,
        "isolation_scope": None, "timeouts": None,
    }, {"id": True, "client_id": True, "principal_id": True, "tenant_id": True, "tags": {}})
    env = {"MCP_SERVER_NAME": key, "LOG_LEVEL": "info", "AZURE_CLIENT_ID_FROM": "identity"}
    secure = {"UPSTREAM_TOKEN": f"tok-{i:08x}"}
    if i % 13 == 0:
        env["GITHUB_TOKEN"] = f"ghp_{i:036d}"
    add("azurerm_container_group", "this", {
        "name": f"ci-{key}", "location": "westeurope", "resource_group_name": rg,
        "ip_address_type": "Public" if i % 7 == 0 else "Private", "os_type": "Linux", "sku": "Standard",
        "restart_policy": "Always", "priority": None, "dns_name_label": None, "dns_name_label_reuse_policy": "Unsecure",
        "key_vault_key_id": None, "key_vault_user_assigned_identity_id": None, "zones": None, "tags": tags,
        "container": [{
            "name": "mcp", "image": f"acrmcp.azurecr.io/mcp/{key}:1.4.2", "cpu": 1, "memory": 1.5,
            "cpu_limit": 0, "memory_limit": 0, "commands": ["node", "dist/server.js"],
            "environment_variables": env, "secure_environment_variables": secure,
            "ports": [{"port": 8080, "protocol": "TCP"}], "gpu": [], "gpu_limit": [], "liveness_probe": [],
            "readiness_probe": [], "security": [], "volume": [],
        }],
        "diagnostics": [], "dns_config": [], "exposed_port": [], "image_registry_credential": [{
            "server": "acrmcp.azurecr.io", "username": None, "password": None, "user_assigned_identity_id": None,
        }], "identity": [{"type": "UserAssigned"}], "init_container": [], "timeouts": None,
    }, {"id": True, "fqdn": True, "ip_address": True, "subnet_ids": True, "network_profile_id": True,
        "identity": [{"identity_ids": True, "principal_id": True, "tenant_id": True}],
        "image_registry_credential": [{"user_assigned_identity_id": True}],
        "container": [{"commands": [False, False], "environment_variables": {}, "ports": [{}]}], "tags": {}},
        {"container": [{"secure_environment_variables": True}], "image_registry_credential": [{"password": True}]})
    subject = "repo:acme/mcp-servers:*" if i % 11 == 0 else "repo:acme/mcp-servers:ref:refs/heads/main"
    add("azurerm_federated_identity_credential", "github", {
        "name": "github-main", "resource_group_name": rg, "issuer": "https://token.actions.githubusercontent.com",
        "subject": subject, "audience": ["api://AzureADTokenExchange"], "timeouts": None,
    }, {"id": True, "parent_id": True, "audience": [False]})
    add("azurerm_role_assignment", "acr_pull", {
        "scope": f"/subscriptions/{SUB}/resourceGroups/rg-acr/providers/Microsoft.ContainerRegistry/registries/acrmcp",
        "role_definition_name": "AcrPull", "skip_service_principal_aad_check": True, "condition": None,
        "condition_version": None, "delegated_managed_identity_resource_id": None, "description": None, "timeouts": None,
    }, {"id": True, "name": True, "principal_id": True, "principal_type": True, "role_definition_id": True})
    return key, res


def configuration():
    cg = {
        "subnet_ids": ref("azurerm_subnet.this.id", "azurerm_subnet.this"),
        "identity": [{"type": const("UserAssigned"), "identity_ids": ref("azurerm_user_assigned_identity.this.id", "azurerm_user_assigned_identity.this")}],
        "container": [{"image": ref("var.image", "each.key"), "environment_variables": ref("each.key"), "secure_environment_variables": ref("var.token")}],
        # The registry credential the configuration writes, as Terraform lists it.
        "image_registry_credential": [{"server": const("acrmcp.azurecr.io"),
                                       "user_assigned_identity_id": ref("azurerm_user_assigned_identity.this.id", "azurerm_user_assigned_identity.this")}],
        "tags": ref("var.tags"),
    }
    exprs = {
        "azurerm_virtual_network.this": {"name": ref("each.key")},
        "azurerm_subnet.this": {"virtual_network_name": ref("azurerm_virtual_network.this.name", "azurerm_virtual_network.this")},
        "azurerm_network_security_group.this": {"security_rule": const([])},
        "azurerm_network_security_rule.egress": {"network_security_group_name": ref("azurerm_network_security_group.this.name", "azurerm_network_security_group.this")},
        "azurerm_network_security_rule.https": {"network_security_group_name": ref("azurerm_network_security_group.this.name", "azurerm_network_security_group.this")},
        "azurerm_subnet_network_security_group_association.this": {
            "subnet_id": ref("azurerm_subnet.this.id", "azurerm_subnet.this"),
            "network_security_group_id": ref("azurerm_network_security_group.this.id", "azurerm_network_security_group.this")},
        "azurerm_user_assigned_identity.this": {"name": ref("each.key")},
        "azurerm_container_group.this": cg,
        "azurerm_federated_identity_credential.github": {"parent_id": ref("azurerm_user_assigned_identity.this.id", "azurerm_user_assigned_identity.this")},
        "azurerm_role_assignment.acr_pull": {"principal_id": ref("azurerm_user_assigned_identity.this.principal_id", "azurerm_user_assigned_identity.this")},
    }
    resources = []
    for addr, e in exprs.items():
        t, n = addr.split(".")
        resources.append({"address": addr, "mode": "managed", "type": t, "name": n, "provider_config_key": "azurerm", "expressions": e})
    return {
        "provider_config": {"azurerm": {"name": "azurerm", "full_name": "registry.terraform.io/hashicorp/azurerm",
                                        "expressions": {"features": [{}], "subscription_id": const(SUB)}}},
        "root_module": {"module_calls": {"mcp": {"source": "./modules/mcp-server", "for_each_expression": ref("var.servers"),
                                                 "expressions": {"image": ref("var.image"), "token": ref("var.token"), "tags": ref("var.tags")},
                                                 "module": {"resources": resources}}}},
    }


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    changes, children = [], []
    for i in range(n):
        key, res = copy(i)
        mod = f'module.mcp["{key}"]'
        planned = []
        for typ, name, after, unknown, sensitive in res:
            addr = f"{mod}.{typ}.{name}"
            changes.append({"address": addr, "module_address": mod, "mode": "managed", "type": typ, "name": name,
                            "provider_name": "registry.terraform.io/hashicorp/azurerm",
                            "change": {"actions": ["create"], "before": None, "after": after, "after_unknown": unknown,
                                       "before_sensitive": False, "after_sensitive": sensitive}})
            planned.append({"address": addr, "mode": "managed", "type": typ, "name": name,
                            "provider_name": "registry.terraform.io/hashicorp/azurerm", "schema_version": 0,
                            "values": after, "sensitive_values": sensitive})
        children.append({"address": mod, "resources": planned})
    plan = {"format_version": "1.2", "terraform_version": "1.9.5",
            "planned_values": {"root_module": {"child_modules": children}},
            "resource_changes": changes, "configuration": configuration()}
    json.dump(plan, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
