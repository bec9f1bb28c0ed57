# The region's Log Analytics workspace: Container Insights and every resource's diagnostic logs (the lake's
# reads, writes and deletes, Key Vault's audit, Event Hubs, PostgreSQL, the API server's audit).

resource "azurerm_log_analytics_workspace" "this" {
  name                         = local.name
  location                     = azurerm_resource_group.this.location
  resource_group_name          = azurerm_resource_group.this.name
  sku                          = "PerGB2018"
  retention_in_days            = 90    # audit trails a quarter back
  local_authentication_enabled = false # agents ingest with Entra ID (msi_auth_for_monitoring_enabled)
  tags                         = local.tags
}
