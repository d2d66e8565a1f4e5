#!/usr/bin/env python3
"""Writes an ARM deployment template of N copies of the MCP architecture.

Usage: gen_template.py N > template.json

Each copy deploys seven resources: an NSG (an inline rule denying Internet
egress; the rule becomes a resource of its own), a VNet whose inline subnet joins the NSG by resourceId() (the subnet
becomes a resource of its own), a user-assigned identity, a container group in
the subnet with that identity, and a role assignment for the identity. Names
come from parameters and variables through concat()/format(); the
subscription and resource group stay unknown (ids are partly known). Every
fifth group has no MCPServer tag, every seventh a public IP. Standard library only.
"""
import json
import sys


def copy(i):
    k = f"{i:04d}"
    nsg, vnet, ident, cg = f"nsg-{k}", f"vnet-{k}", f"id-{k}", f"aci-mcp-{k}"
    tags = {"environment": "[parameters('environment')]", "owner": "platform"}
    if i % 5 != 0:
        tags["MCPServer"] = "true"
    subnet_id = f"[resourceId('Microsoft.Network/virtualNetworks/subnets', '{vnet}', variables('subnetName'))]"
    ident_id = f"[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', '{ident}')]"
    group = {
        "type": "Microsoft.ContainerInstance/containerGroups", "apiVersion": "2023-05-01",
        "name": f"[format('{{0}}', '{cg}')]", "location": "[parameters('location')]", "tags": tags,
        "identity": {"type": "UserAssigned", "userAssignedIdentities": {ident_id: {}}},
        "dependsOn": [subnet_id, ident_id],
        "properties": {
            "osType": "Linux",
            "containers": [{"name": "mcp", "properties": {
                "image": "[concat(variables('registry'), '/mcp-github:', parameters('imageTag'))]",
                "resources": {"requests": {"cpu": 1, "memoryInGB": 2}},
                "environmentVariables": [{"name": "MCP_SERVER_NAME", "value": cg}]}}],
            "subnetIds": [{"id": subnet_id}],
        },
    }
    if i % 7 == 0:
        group["properties"]["ipAddress"] = {"type": "Public", "ports": [{"port": 443, "protocol": "TCP"}]}
    return [
        {"type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2023-09-01", "name": nsg,
         "location": "[parameters('location')]", "properties": {"securityRules": [{
             "name": "deny-internet-out", "properties": {
                 "priority": 100, "direction": "Outbound", "access": "Deny", "protocol": "*",
                 "sourceAddressPrefix": "*", "sourcePortRange": "*",
                 "destinationAddressPrefix": "Internet", "destinationPortRange": "*"}}]}},
        {"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2023-09-01", "name": vnet,
         "location": "[parameters('location')]",
         "dependsOn": [f"[resourceId('Microsoft.Network/networkSecurityGroups', '{nsg}')]"],
         "properties": {"addressSpace": {"addressPrefixes": ["10.20.0.0/16"]}, "subnets": [{
             "name": "[variables('subnetName')]", "properties": {
                 "addressPrefix": "10.20.1.0/24",
                 "networkSecurityGroup": {"id": f"[resourceId('Microsoft.Network/networkSecurityGroups', '{nsg}')]"},
                 "delegations": [{"name": "aci", "properties": {"serviceName": "Microsoft.ContainerInstance/containerGroups"}}]}}]}},
        {"type": "Microsoft.ManagedIdentity/userAssignedIdentities", "apiVersion": "2023-01-31",
         "name": ident, "location": "[parameters('location')]"},
        group,
        {"type": "Microsoft.Authorization/roleAssignments", "apiVersion": "2022-04-01",
         "name": f"[guid(resourceGroup().id, '{ident}')]",
         "dependsOn": [ident_id],
         "properties": {
             "roleDefinitionId": "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'acdd72a7-3385-48ef-bd42-f606fba81ae7')]",
             "principalId": f"[reference({ident_id}, '2023-01-31').principalId]".replace("[reference([", "[reference(").replace(")], '2023", "), '2023"),
             "principalType": "ServicePrincipal"}},
    ]


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 715
    resources = [r for i in range(n) for r in copy(i)]
    json.dump({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {
            "location": {"type": "string", "defaultValue": "westeurope"},
            "environment": {"type": "string", "defaultValue": "prod"},
            "imageTag": {"type": "string", "defaultValue": "1.4.0"},
        },
        "variables": {"registry": "myacr.azurecr.io", "subnetName": "snet-mcp-servers"},
        "resources": resources,
    }, sys.stdout)


if __name__ == "__main__":
    main()
