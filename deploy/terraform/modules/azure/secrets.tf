# Key Vault: the region's secrets (values read by the workloads through their identities) and the
# customer-managed keys of the lake and the node disks.

resource "azurerm_key_vault" "this" {
  name                       = local.key_vault_name
  location                   = azurerm_resource_group.this.location
  resource_group_name        = azurerm_resource_group.this.name
  tenant_id                  = data.azurerm_client_config.current.tenant_id
  sku_name                   = "premium" # HSM-backed keys
  rbac_authorization_enabled = true      # Azure RBAC per secret, no access policies
  purge_protection_enabled   = true      # a deleted key cannot be purged: the lake stays decryptable
  soft_delete_retention_days = 90

  # Private endpoint only. Trusted Azure services (Storage and disk encryption sets unwrapping the CMKs) still
  # pass; Terraform itself must run from a network that reaches the private endpoint.
  public_network_access_enabled = false

  network_acls {
    default_action = "Deny"
    bypass         = "AzureServices"
  }

  tags = local.tags
}

# Whoever runs Terraform writes the secrets and creates the keys (data-plane roles: Owner alone has none).
resource "azurerm_role_assignment" "deployer" {
  for_each             = toset(["Key Vault Secrets Officer", "Key Vault Crypto Officer"])
  scope                = azurerm_key_vault.this.id
  role_definition_name = each.value
  principal_id         = data.azurerm_client_config.current.object_id
}

resource "azurerm_private_endpoint" "vault" {
  name                = "${local.name}-vault"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  subnet_id           = azurerm_subnet.endpoints.id
  tags                = local.tags

  private_service_connection {
    name                           = "vault"
    private_connection_resource_id = azurerm_key_vault.this.id
    subresource_names              = ["vault"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "vault"
    private_dns_zone_ids = [azurerm_private_dns_zone.endpoints["vault"].id]
  }
}

resource "azurerm_monitor_diagnostic_setting" "vault" {
  name                       = "${local.name}-vault"
  target_resource_id         = azurerm_key_vault.this.id
  log_analytics_workspace_id = azurerm_log_analytics_workspace.this.id

  enabled_log {
    category_group = "audit" # every secret and key access
  }

  enabled_metric {
    category = "AllMetrics"
  }
}

# One key per consumer (the lake, the node disks): separate rotation and blast radius. Rotated yearly by Key
# Vault; each version expires after two years, so the initial expiration below is only ever a backstop, and the
# consumers take the newest version on their own (versionless IDs).
resource "azurerm_key_vault_key" "cmk" {
  for_each = toset(["lake", "disks"])

  name            = each.key
  key_vault_id    = azurerm_key_vault.this.id
  key_type        = "RSA-HSM"
  key_size        = 3072
  key_opts        = ["wrapKey", "unwrapKey"]
  expiration_date = timeadd(timestamp(), "17520h")

  rotation_policy {
    expire_after         = "P2Y"
    notify_before_expiry = "P30D"

    automatic {
      time_after_creation = "P1Y"
    }
  }

  tags = local.tags

  lifecycle {
    # Set once at creation; rotation moves the expiry of each new version.
    ignore_changes = [expiration_date]
  }

  depends_on = [azurerm_role_assignment.deployer, azurerm_private_endpoint.vault, azurerm_private_dns_zone_virtual_network_link.endpoints]
}

# The four secrets of the interface. Key Vault returns a secret past its expiration date (exp is advisory for
# secrets), so the dates below are rotation reminders Defender and Azure Policy report on, not outages.

# Generated secrets, whose values Terraform has: the SASL PLAIN password of every Kafka client (the listen/send
# rule's connection string, username `$ConnectionString`; in state already as an attribute of the rule, and
# re-applied when the key is renewed) and the PostgreSQL login's password. The values sit in a map of their own:
# they are sensitive, and for_each may not iterate over sensitive values.
locals {
  generated_secrets = {
    "kafka-password"              = "text/plain; Event Hubs connection string, SASL PLAIN password for username $ConnectionString"
    "dagster-postgresql-password" = "text/plain; password of the PostgreSQL login dagster"
  }
  generated_secret_values = {
    "kafka-password"              = azurerm_eventhub_namespace_authorization_rule.clients.primary_connection_string
    "dagster-postgresql-password" = random_password.database.result
  }
}

resource "azurerm_key_vault_secret" "generated" {
  for_each        = local.generated_secrets
  name            = each.key
  key_vault_id    = azurerm_key_vault.this.id
  value           = local.generated_secret_values[each.key]
  content_type    = each.value
  expiration_date = timeadd(timestamp(), "8760h")
  tags            = local.tags

  lifecycle {
    ignore_changes = [expiration_date]
  }

  depends_on = [azurerm_role_assignment.deployer, azurerm_private_endpoint.vault, azurerm_private_dns_zone_virtual_network_link.endpoints]
}

# Containers only: the values are set outside Terraform (`az keyvault secret set`), never in Git or state; the
# placeholder is what exists until then, and Terraform ignores every later version.
locals {
  placeholder_secrets = {
    "edge-api-keys" = { value = "[]", content_type = "application/json; the edge's API key entries (meridian edge-key)" }
    "platform"      = { value = "{}", content_type = "application/json; MERIDIAN_* settings of Dagster's code location and runs" }
  }
}

resource "azurerm_key_vault_secret" "placeholder" {
  for_each        = local.placeholder_secrets
  name            = each.key
  key_vault_id    = azurerm_key_vault.this.id
  value           = each.value.value
  content_type    = each.value.content_type
  expiration_date = timeadd(timestamp(), "8760h")
  tags            = local.tags

  lifecycle {
    ignore_changes = [value, expiration_date, content_type]
  }

  depends_on = [azurerm_role_assignment.deployer, azurerm_private_endpoint.vault, azurerm_private_dns_zone_virtual_network_link.endpoints]
}

locals {
  # The four secrets of the interface, by name.
  secrets = {
    "kafka-password"              = azurerm_key_vault_secret.generated["kafka-password"]
    "dagster-postgresql-password" = azurerm_key_vault_secret.generated["dagster-postgresql-password"]
    "edge-api-keys"               = azurerm_key_vault_secret.placeholder["edge-api-keys"]
    "platform"                    = azurerm_key_vault_secret.placeholder["platform"]
  }
}
