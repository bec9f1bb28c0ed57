# Dagster's instance database (runs, event logs, schedules): PostgreSQL 16 flexible server, VNet-injected.

# The admin password Azure requires for password authentication. Dagster logs in with it (the login is
# `dagster`: Azure's provider cannot create a less privileged role, which needs SQL). URL-safe specials only:
# the exporter's postgresql+psycopg2:// URL embeds it.
resource "random_password" "database" {
  length           = 40
  special          = true
  override_special = "-_."
  min_lower        = 4
  min_upper        = 4
  min_numeric      = 4
  min_special      = 2
}

resource "azurerm_postgresql_flexible_server" "dagster" {
  #checkov:skip=CKV2_AZURE_57:Private access by VNet injection (delegated_subnet_id, private DNS zone, public access off): the server has only a private IP, and Azure offers private endpoints only to servers in public-access mode
  name                = local.postgresql_name
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  version             = "16"
  sku_name            = local.database.sku
  storage_mb          = local.database.storage_mb
  auto_grow_enabled   = true

  # Private access only: an address in the delegated subnet, its name in the private zone.
  delegated_subnet_id           = azurerm_subnet.postgresql.id
  private_dns_zone_id           = azurerm_private_dns_zone.postgresql.id
  public_network_access_enabled = false

  administrator_login    = "dagster"
  administrator_password = random_password.database.result

  authentication {
    password_auth_enabled         = true
    active_directory_auth_enabled = false # Dagster's chart speaks passwords (DAGSTER_PG_PASSWORD)
  }

  backup_retention_days        = var.database_backup_retention_days
  geo_redundant_backup_enabled = true # a restore point in the paired region if the region is lost

  dynamic "high_availability" {
    for_each = var.database_high_availability ? [1] : []
    content {
      mode = "ZoneRedundant"
    }
  }

  # Sunday 11:00 UTC, after the cluster's upgrade windows (02:00-10:00), so Dagster never loses both at once.
  maintenance_window {
    day_of_week  = 0
    start_hour   = 11
    start_minute = 0
  }

  tags = local.tags

  lifecycle {
    # A failover swaps primary and standby zones; Azure picks them, Terraform must not move them back.
    ignore_changes = [zone, high_availability[0].standby_availability_zone]
  }

  depends_on = [azurerm_private_dns_zone_virtual_network_link.postgresql]
}

resource "azurerm_postgresql_flexible_server_database" "dagster" {
  name      = "dagster"
  server_id = azurerm_postgresql_flexible_server.dagster.id
  charset   = "UTF8"
  collation = "en_US.utf8"
}

# TLS is required (the chart connects with sslmode=require); on by default, pinned here so nobody turns it off.
resource "azurerm_postgresql_flexible_server_configuration" "require_secure_transport" {
  name      = "require_secure_transport"
  server_id = azurerm_postgresql_flexible_server.dagster.id
  value     = "on"
}

# azurerm has no deletion_protection on a flexible server: a management lock is the equivalent.
resource "azurerm_management_lock" "database" {
  count      = var.deletion_protection ? 1 : 0
  name       = "${local.name}-postgresql-no-delete"
  scope      = azurerm_postgresql_flexible_server.dagster.id
  lock_level = "CanNotDelete"
  notes      = "Dagster's run history (deletion_protection); set deletion_protection = false to tear down a test region."
}

resource "azurerm_monitor_diagnostic_setting" "database" {
  name                       = "${local.name}-postgresql"
  target_resource_id         = azurerm_postgresql_flexible_server.dagster.id
  log_analytics_workspace_id = azurerm_log_analytics_workspace.this.id

  enabled_log {
    category_group = "allLogs"
  }

  enabled_metric {
    category = "AllMetrics"
  }
}
