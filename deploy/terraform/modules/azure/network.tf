# The region's network: one VNet, a subnet per concern, an NSG on each, and the private DNS zones that make
# every PaaS endpoint resolve to its private IP inside the VNet.

resource "azurerm_resource_group" "this" {
  name     = var.project
  location = var.location
  tags     = local.tags
}

resource "azurerm_virtual_network" "this" {
  name                = local.name
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  address_space       = [local.vnet_cidr]
  tags                = local.tags
}

# Nodes and the API server's private endpoint. Network policies for private endpoints are on so the NSG below
# also guards the API server's endpoint. Default outbound access is off: the nodes' egress is the cluster load
# balancer's explicit outbound rules.
resource "azurerm_subnet" "nodes" {
  name                              = "aks-nodes"
  resource_group_name               = azurerm_resource_group.this.name
  virtual_network_name              = azurerm_virtual_network.this.name
  address_prefixes                  = [local.nodes_cidr]
  private_endpoint_network_policies = "Enabled"
  default_outbound_access_enabled   = false
}

# Pod IPs come from their own subnet (Azure CNI with dynamic IP allocation): routable through peering, so
# MirrorMaker and replication reach other regions without NAT, and the node subnet stays small.
resource "azurerm_subnet" "pods" {
  name                            = "aks-pods"
  resource_group_name             = azurerm_resource_group.this.name
  virtual_network_name            = azurerm_virtual_network.this.name
  address_prefixes                = [local.pods_cidr]
  default_outbound_access_enabled = false

  delegation {
    name = "aks-pods"
    service_delegation {
      name    = "Microsoft.ContainerService/managedClusters"
      actions = ["Microsoft.Network/virtualNetworks/subnets/join/action"]
    }
  }
}

resource "azurerm_subnet" "endpoints" {
  name                              = "private-endpoints"
  resource_group_name               = azurerm_resource_group.this.name
  virtual_network_name              = azurerm_virtual_network.this.name
  address_prefixes                  = [local.endpoints_cidr]
  private_endpoint_network_policies = "Enabled" # the NSG applies to the endpoints' NICs
  default_outbound_access_enabled   = false
}

# Delegated to PostgreSQL flexible server (VNet injection): the server gets a private IP and no public endpoint.
resource "azurerm_subnet" "postgresql" {
  name                 = "postgresql"
  resource_group_name  = azurerm_resource_group.this.name
  virtual_network_name = azurerm_virtual_network.this.name
  address_prefixes     = [local.postgresql_cidr]

  delegation {
    name = "postgresql-flexible"
    service_delegation {
      name    = "Microsoft.DBforPostgreSQL/flexibleServers"
      actions = ["Microsoft.Network/virtualNetworks/subnets/join/action"]
    }
  }
}

# The API server is private; only the cluster's own subnets and control_plane_authorized_cidrs (VPN, CI
# runners, arriving through peering or a gateway) reach its endpoint, even from peered regions. AKS does not
# accept authorized IP ranges on a private cluster, so this NSG is where those CIDRs apply. Custom subnet NSGs
# are not edited by AKS: a public ingress would need its own allow rule here and on the pod subnet.
resource "azurerm_network_security_group" "nodes" {
  name                = "${local.name}-aks-nodes"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  tags                = local.tags

  security_rule {
    name                       = "api-from-cluster"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "443"
    source_address_prefixes    = [local.nodes_cidr, local.pods_cidr]
    destination_address_prefix = local.nodes_cidr
  }

  dynamic "security_rule" {
    for_each = length(var.control_plane_authorized_cidrs) > 0 ? [1] : []
    content {
      name                       = "api-from-authorized"
      priority                   = 110
      direction                  = "Inbound"
      access                     = "Allow"
      protocol                   = "Tcp"
      source_port_range          = "*"
      destination_port_range     = "443"
      source_address_prefixes    = var.control_plane_authorized_cidrs
      destination_address_prefix = local.nodes_cidr
    }
  }

  security_rule {
    name                       = "api-from-elsewhere"
    priority                   = 4000
    direction                  = "Inbound"
    access                     = "Deny"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "443"
    source_address_prefix      = "VirtualNetwork"
    destination_address_prefix = local.nodes_cidr
  }
}

# Pods: the defaults (VNet and load balancer in, Internet denied) are what the chart's NetworkPolicies refine.
resource "azurerm_network_security_group" "pods" {
  name                = "${local.name}-aks-pods"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  tags                = local.tags
}

# Private endpoints answer only their protocols: HTTPS (Key Vault, Blob, DFS, Event Hubs management), AMQP and
# Kafka. Peered regions are in VirtualNetwork on purpose: MirrorMaker consumes this region's Event Hubs from them.
resource "azurerm_network_security_group" "endpoints" {
  name                = "${local.name}-private-endpoints"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  tags                = local.tags

  security_rule {
    name                       = "services-from-vnet"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_ranges    = ["443", "5671", "5672", "9093"]
    source_address_prefix      = "VirtualNetwork"
    destination_address_prefix = local.endpoints_cidr
  }

  security_rule {
    name                       = "deny-other-inbound"
    priority                   = 4000
    direction                  = "Inbound"
    access                     = "Deny"
    protocol                   = "*"
    source_port_range          = "*"
    destination_port_range     = "*"
    source_address_prefix      = "*"
    destination_address_prefix = "*"
  }
}

# PostgreSQL: only the cluster's subnets on 5432, and anything inside its own subnet (the zone-redundant
# standby replicates there); nothing from peered regions.
resource "azurerm_network_security_group" "postgresql" {
  name                = "${local.name}-postgresql"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  tags                = local.tags

  security_rule {
    name                       = "postgresql-from-cluster"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "5432"
    source_address_prefixes    = [local.nodes_cidr, local.pods_cidr]
    destination_address_prefix = local.postgresql_cidr
  }

  security_rule {
    name                       = "within-subnet"
    priority                   = 110
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "*"
    source_port_range          = "*"
    destination_port_range     = "*"
    source_address_prefix      = local.postgresql_cidr
    destination_address_prefix = local.postgresql_cidr
  }

  security_rule {
    name                       = "deny-vnet-inbound"
    priority                   = 4000
    direction                  = "Inbound"
    access                     = "Deny"
    protocol                   = "*"
    source_port_range          = "*"
    destination_port_range     = "*"
    source_address_prefix      = "VirtualNetwork"
    destination_address_prefix = "*"
  }
}

resource "azurerm_subnet_network_security_group_association" "nodes" {
  subnet_id                 = azurerm_subnet.nodes.id
  network_security_group_id = azurerm_network_security_group.nodes.id
}

resource "azurerm_subnet_network_security_group_association" "pods" {
  subnet_id                 = azurerm_subnet.pods.id
  network_security_group_id = azurerm_network_security_group.pods.id
}

resource "azurerm_subnet_network_security_group_association" "endpoints" {
  subnet_id                 = azurerm_subnet.endpoints.id
  network_security_group_id = azurerm_network_security_group.endpoints.id
}

resource "azurerm_subnet_network_security_group_association" "postgresql" {
  subnet_id                 = azurerm_subnet.postgresql.id
  network_security_group_id = azurerm_network_security_group.postgresql.id
}

# Private DNS: each private endpoint registers its A record in the zone of its service, and the VNet resolves
# the public names (account.blob.core.windows.net, ...) through them. Peered regions need these records too
# (MirrorMaker): the global stack links or copies them; a VNet cannot link two zones of the same name.
locals {
  private_dns_zones = {
    blob      = "privatelink.blob.core.windows.net"
    dfs       = "privatelink.dfs.core.windows.net"
    eventhubs = "privatelink.servicebus.windows.net"
    vault     = "privatelink.vaultcore.azure.net"
  }
}

resource "azurerm_private_dns_zone" "endpoints" {
  for_each            = local.private_dns_zones
  name                = each.value
  resource_group_name = azurerm_resource_group.this.name
  tags                = local.tags
}

resource "azurerm_private_dns_zone_virtual_network_link" "endpoints" {
  for_each            = local.private_dns_zones
  name                = "${local.name}-${each.key}"
  private_dns_zone_id = azurerm_private_dns_zone.endpoints[each.key].id
  virtual_network_id  = azurerm_virtual_network.this.id
  tags                = local.tags
}

# The flexible server's own zone (VNet injection needs a zone ending in .postgres.database.azure.com).
resource "azurerm_private_dns_zone" "postgresql" {
  name                = "${local.name}.private.postgres.database.azure.com"
  resource_group_name = azurerm_resource_group.this.name
  tags                = local.tags
}

resource "azurerm_private_dns_zone_virtual_network_link" "postgresql" {
  name                = "${local.name}-postgresql"
  private_dns_zone_id = azurerm_private_dns_zone.postgresql.id
  virtual_network_id  = azurerm_virtual_network.this.id
  tags                = local.tags
}
