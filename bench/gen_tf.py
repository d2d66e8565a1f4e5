#!/usr/bin/env python3
"""Writes N .tf files of the MCP server architecture into DIR, for timing the
Terraform source reader: `bench/gen_tf.py 1000 /tmp/tf1000`.

File 0 holds the shared network (resource group, vnet, subnet, NSG with
dynamic rules, association) and variables; every other file is one MCP server
(identity, container group for_each'd over two tenants, role assignment),
referring to the shared resources, so references, locals, for_each and
functions are exercised as in real code. Python standard library only."""

import os
import sys

SHARED = '''variable "location" {
  type    = string
  default = "westeurope"
}

variable "environment" {
  type    = string
  default = "prod"
}

variable "tenants" {
  type    = set(string)
  default = ["blue", "green"]
}

locals {
  prefix = "mcp-${var.environment}"
  tags   = { MCPServer = "true", environment = var.environment }
  egress = [
    { name = "deny-internet", priority = 4000, access = "Deny", to = "Internet" },
    { name = "allow-vnet", priority = 100, access = "Allow", to = "VirtualNetwork" },
  ]
}

resource "azurerm_resource_group" "mcp" {
  name     = "rg-${local.prefix}"
  location = var.location
  tags     = local.tags
}

resource "azurerm_virtual_network" "mcp" {
  name                = "vnet-${local.prefix}"
  location            = azurerm_resource_group.mcp.location
  resource_group_name = azurerm_resource_group.mcp.name
  address_space       = ["10.40.0.0/16"]
}

resource "azurerm_subnet" "mcp" {
  name                 = "snet-mcp-servers"
  resource_group_name  = azurerm_resource_group.mcp.name
  virtual_network_name = azurerm_virtual_network.mcp.name
  address_prefixes     = [cidrsubnet("10.40.0.0/16", 8, 1)]
  delegation {
    name = "aci"
    service_delegation {
      name = "Microsoft.ContainerInstance/containerGroups"
    }
  }
}

resource "azurerm_network_security_group" "mcp" {
  name                = "nsg-${local.prefix}"
  location            = azurerm_resource_group.mcp.location
  resource_group_name = azurerm_resource_group.mcp.name
  dynamic "security_rule" {
    for_each = local.egress
    content {
      name                       = security_rule.value.name
      priority                   = security_rule.value.priority
      direction                  = "Outbound"
      access                     = security_rule.value.access
      protocol                   = "*"
      source_port_range          = "*"
      destination_port_range     = "*"
      source_address_prefix      = "*"
      destination_address_prefix = security_rule.value.to
    }
  }
}

resource "azurerm_subnet_network_security_group_association" "mcp" {
  subnet_id                 = azurerm_subnet.mcp.id
  network_security_group_id = azurerm_network_security_group.mcp.id
}
'''

SERVER = '''# MCP server {n}
resource "azurerm_user_assigned_identity" "mcp_{n}" {{
  name                = "id-mcp-{n}"
  location            = azurerm_resource_group.mcp.location
  resource_group_name = azurerm_resource_group.mcp.name
  tags                = local.tags
}}

resource "azurerm_container_group" "mcp_{n}" {{
  for_each            = var.tenants
  name                = format("ci-mcp-%04d-%s", {n}, each.key)
  location            = azurerm_resource_group.mcp.location
  resource_group_name = azurerm_resource_group.mcp.name
  os_type             = "Linux"
  ip_address_type     = "Private"
  subnet_ids          = [azurerm_subnet.mcp.id]
  tags                = merge(local.tags, {{ server = "mcp-{n}", tenant = each.key }})

  identity {{
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.mcp_{n}.id]
  }}

  container {{
    name   = "server"
    image  = "ghcr.io/acme/mcp-server-{n}:1.${{ {n} % 7 }}"
    cpu    = 0.5
    memory = 1
    ports {{
      port     = 8080
      protocol = "TCP"
    }}
    environment_variables = {{
      MCP_NAME  = upper("mcp-{n}")
      CLIENT_ID = azurerm_user_assigned_identity.mcp_{n}.client_id
      TENANT    = each.value
    }}
  }}
}}

resource "azurerm_role_assignment" "mcp_{n}" {{
  scope                = azurerm_resource_group.mcp.id
  role_definition_name = "Reader"
  principal_id         = azurerm_user_assigned_identity.mcp_{n}.principal_id
}}
'''


def main() -> int:
    if len(sys.argv) != 3 or not sys.argv[1].isdigit() or int(sys.argv[1]) < 1:
        print("usage: gen_tf.py N DIR  (N >= 1 files)", file=sys.stderr)
        return 2
    n, out = int(sys.argv[1]), sys.argv[2]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "shared.tf"), "w", encoding="utf-8") as f:
        f.write(SHARED)
    for i in range(1, n):
        with open(os.path.join(out, f"server_{i:05d}.tf"), "w", encoding="utf-8") as f:
            f.write(SERVER.format(n=i))
    return 0


if __name__ == "__main__":
    sys.exit(main())
