# The lake: one storage account, container `lake`: the ledger's bronze parquet, written with conditional
# (create-if-absent) puts.
#
# Hierarchical namespace is OFF, on purpose. Azure cannot version blobs in an HNS (ADLS Gen2) account (azurerm
# refuses `versioning_enabled` with `is_hns_enabled`), and soft delete there protects deletes only, not
# overwrites. The lake is the ledger: an overwritten object's old content must stay recoverable for
# lake_noncurrent_version_days, which only versioning gives. A flat namespace also keeps the object-store
# semantics the GCS and S3 stores have (no directory entries in listings, a delete never leaves a folder). The
# DFS endpoint of lake_url still answers for a flat account; Azure's own guidance prefers the Blob endpoint for
# it, which a Meridian Azure store can derive from the same account and container.

resource "azurerm_user_assigned_identity" "lake_cmk" {
  name                = "${local.name}-lake-cmk"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  tags                = local.tags
}

# The account unwraps its data key with this identity; it can use the lake's key and nothing else.
resource "azurerm_role_assignment" "lake_cmk" {
  scope                = azurerm_key_vault_key.cmk["lake"].resource_versionless_id
  role_definition_name = "Key Vault Crypto Service Encryption User"
  principal_id         = azurerm_user_assigned_identity.lake_cmk.principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_storage_account" "lake" {
  #checkov:skip=CKV_AZURE_43:The name is built in locals.tf as 3-24 lowercase letters and digits (a prefix and a sha1 suffix); checkov cannot evaluate sha1() through a module call
  #checkov:skip=CKV_AZURE_33:The lake uses no queues; the check reads the classic queue_properties logging block, which azurerm 5 removed (and classic Storage Analytics needs the account keys, disabled here)
  #checkov:skip=CKV_AZURE_206:ZRS on purpose: Meridian replicates every region's ledger into the other regions' lakes (orchestration/defs/replication), so GRS/GZRS would pay for a second, unverified cross-region copy
  name                     = local.storage_account_name
  location                 = azurerm_resource_group.this.location
  resource_group_name      = azurerm_resource_group.this.name
  account_kind             = "StorageV2"
  account_tier             = "Standard"
  account_replication_type = "ZRS" # survives a zone; the cross-region copy is Meridian's replication
  access_tier              = "Hot"
  is_hns_enabled           = false # see the top of this file

  https_traffic_only_enabled        = true
  min_tls_version                   = "TLS1_2"
  allow_nested_items_to_be_public   = false
  public_network_access_enabled     = false # private endpoints only
  shared_access_key_enabled         = false # Entra ID only: workload identities, no account keys or SAS
  default_to_oauth_authentication   = true
  local_user_enabled                = false
  cross_tenant_replication_enabled  = false
  allowed_copy_scope                = "AAD" # server-side copies only from this tenant's accounts (other regions' lakes)
  infrastructure_encryption_enabled = true  # a second, infrastructure-level AES-256 layer under the CMK

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.lake_cmk.id]
  }

  # The versionless key ID: the account follows the key's automatic rotation.
  customer_managed_key {
    key_vault_key_id          = azurerm_key_vault_key.cmk["lake"].versionless_id
    user_assigned_identity_id = azurerm_user_assigned_identity.lake_cmk.id
  }

  blob_properties {
    versioning_enabled = true

    # Covers deletes, and the versions the lifecycle rule below removes: together an overwritten object's old
    # content stays recoverable at least lake_noncurrent_version_days after the overwrite.
    delete_retention_policy {
      days = local.lake_soft_delete_days
    }

    container_delete_retention_policy {
      days = local.lake_soft_delete_days
    }
  }

  # Deny by default; trusted Azure services (CMK unwrap, diagnostics) still pass. With public access disabled
  # this matters only if someone re-enables it.
  network_rules {
    default_action = "Deny"
    bypass         = ["AzureServices", "Logging", "Metrics"]
  }

  sas_policy {
    expiration_period = "01.00:00:00" # user delegation SAS, if ever issued, live a day at most
    expiration_action = "Block"
  }

  tags = local.tags

  depends_on = [azurerm_role_assignment.lake_cmk]
}

resource "azurerm_storage_container" "lake" {
  #checkov:skip=CKV2_AZURE_21:Blob reads, writes and deletes are logged by the blob service diagnostic setting (azurerm_monitor_diagnostic_setting.lake, StorageRead included); the check wants azurerm_log_analytics_storage_insights, the classic analytics path that needs account keys, disabled here
  name                  = "lake"
  storage_account_id    = azurerm_storage_account.lake.id
  container_access_type = "private"
}

# A previous version is deleted once it is lake_noncurrent_version_days old (Azure counts from the version's
# creation), into soft delete, which keeps it as long again: never less than the variable after an overwrite.
resource "azurerm_storage_management_policy" "lake" {
  storage_account_id = azurerm_storage_account.lake.id

  rule {
    name    = "expire-noncurrent-versions"
    enabled = true

    filters {
      blob_types   = ["blockBlob"]
      prefix_match = ["${azurerm_storage_container.lake.name}/"]
    }

    actions {
      version {
        delete_after_days_since_creation = var.lake_noncurrent_version_days
      }
    }
  }
}

# Blob and DFS endpoints: clients use either (lake_url names the DFS host).
resource "azurerm_private_endpoint" "lake" {
  for_each            = toset(["blob", "dfs"])
  name                = "${local.name}-lake-${each.key}"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  subnet_id           = azurerm_subnet.endpoints.id
  tags                = local.tags

  private_service_connection {
    name                           = "lake-${each.key}"
    private_connection_resource_id = azurerm_storage_account.lake.id
    subresource_names              = [each.key]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = each.key
    private_dns_zone_ids = [azurerm_private_dns_zone.endpoints[each.key].id]
  }
}

# The lake is the ledger: no `terraform destroy` (or portal click) deletes the account while protection is on.
resource "azurerm_management_lock" "lake" {
  count      = var.deletion_protection ? 1 : 0
  name       = "${local.name}-lake-no-delete"
  scope      = azurerm_storage_account.lake.id
  lock_level = "CanNotDelete"
  notes      = "Meridian's ledger (deletion_protection); set deletion_protection = false to tear down a test region."
}

# Writes and deletes are the ledger's history; reads are logged too (who read what), at the lake's read volume.
resource "azurerm_monitor_diagnostic_setting" "lake" {
  name                       = "${local.name}-lake"
  target_resource_id         = "${azurerm_storage_account.lake.id}/blobServices/default"
  log_analytics_workspace_id = azurerm_log_analytics_workspace.this.id

  enabled_log {
    category = "StorageRead"
  }

  enabled_log {
    category = "StorageWrite"
  }

  enabled_log {
    category = "StorageDelete"
  }

  enabled_metric {
    category = "Transaction"
  }
}
