# Kafka: an Event Hubs namespace, whose Kafka endpoint (port 9093, SASL_SSL) the edge, the stream service,
# MirrorMaker 2 and Dagster use unchanged.
#
# Local (SAS) authentication stays ON: the interface's Kafka mechanism is SASL PLAIN on every cloud, and on
# Event Hubs PLAIN means a SAS connection string as the password (username `$ConnectionString`). Entra ID over
# Kafka needs OAUTHBEARER with a token callback that neither kafka-python nor the chart's MirrorMaker config
# has. The workloads' Entra roles (identity.tf) are granted all the same, so turning local auth off later is
# this one flag plus the clients' SASL settings.

resource "azurerm_eventhub_namespace" "this" {
  #checkov:skip=CKV_AZURE_228:azurerm 5 removed zone_redundant: namespaces made since 2022-12 are zone-redundant by default in regions with zones
  name                          = local.eventhub_namespace
  location                      = azurerm_resource_group.this.location
  resource_group_name           = azurerm_resource_group.this.name
  sku                           = local.kafka.sku      # Premium (see locals.tf); changing tier replaces the namespace
  capacity                      = local.kafka.capacity # processing units
  local_authentication_enabled  = true
  public_network_access_enabled = false # private endpoint only
  minimum_tls_version           = "1.2"
  tags                          = local.tags

  network_rulesets {
    default_action                 = "Deny"
    public_network_access_enabled  = false
    trusted_service_access_enabled = true
  }
}

# The raw events, as the edge produces them; Dagster lands them in the lake from here. Seven days, as the
# self-hosted brokers keep them (streaming/kafka/broker.py).
resource "azurerm_eventhub" "events" {
  name            = "events.raw.v1"
  namespace_id    = azurerm_eventhub_namespace.this.id
  partition_count = local.kafka.partitions

  retention_description {
    cleanup_policy          = "Delete"
    retention_time_in_hours = 168
  }
}

# The stream service creates its two topics on start when they are missing; that needs Manage rights, which
# the listen/send credential below does not have. Declared here instead (same partition count as the events,
# as the service creates them), so the service only finds them.
resource "azurerm_eventhub" "metrics" {
  name            = "metrics.region_minute.v1"
  namespace_id    = azurerm_eventhub_namespace.this.id
  partition_count = local.kafka.partitions

  retention_description {
    cleanup_policy          = "Delete"
    retention_time_in_hours = 168
  }
}

# One window snapshot per source partition, latest per key: compacted.
resource "azurerm_eventhub" "stream_state" {
  name            = "stream.state.v1"
  namespace_id    = azurerm_eventhub_namespace.this.id
  partition_count = local.kafka.partitions

  retention_description {
    cleanup_policy                    = "Compact"
    tombstone_retention_time_in_hours = 24
  }
}

# Event Hubs also creates Kafka consumer groups on first join; declaring the stream service's group keeps its
# name (the one KEDA reads the lag of) visible and owned here.
resource "azurerm_eventhub_consumer_group" "stream" {
  name                = "meridian-stream"
  namespace_name      = azurerm_eventhub_namespace.this.name
  eventhub_name       = azurerm_eventhub.events.name
  resource_group_name = azurerm_resource_group.this.name
  user_metadata       = "MERIDIAN_STREAM_GROUP_ID of the stream service (deploy/helm/meridian)"
}

# The clients' SAS credential: listen and send, never manage, on the namespace (the stream service writes two
# topics, MirrorMaker the mirrored ones). Its connection string is the kafka-password secret. Azure generates
# the key, so it sits in Terraform's state like any attribute; rotate with `az eventhubs namespace
# authorization-rule keys renew` and re-apply, which rewrites the secret.
resource "azurerm_eventhub_namespace_authorization_rule" "clients" {
  name                = "meridian-clients"
  namespace_name      = azurerm_eventhub_namespace.this.name
  resource_group_name = azurerm_resource_group.this.name
  listen              = true
  send                = true
  manage              = false
}

resource "azurerm_private_endpoint" "eventhubs" {
  name                = "${local.name}-eventhubs"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  subnet_id           = azurerm_subnet.endpoints.id
  tags                = local.tags

  private_service_connection {
    name                           = "eventhubs"
    private_connection_resource_id = azurerm_eventhub_namespace.this.id
    subresource_names              = ["namespace"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "eventhubs"
    private_dns_zone_ids = [azurerm_private_dns_zone.endpoints["eventhubs"].id]
  }
}

# Deleting the namespace deletes the unconsumed events and the consumer offsets.
resource "azurerm_management_lock" "eventhubs" {
  count      = var.deletion_protection ? 1 : 0
  name       = "${local.name}-eventhubs-no-delete"
  scope      = azurerm_eventhub_namespace.this.id
  lock_level = "CanNotDelete"
  notes      = "Meridian's Kafka (deletion_protection); set deletion_protection = false to tear down a test region."
}

resource "azurerm_monitor_diagnostic_setting" "eventhubs" {
  name                       = "${local.name}-eventhubs"
  target_resource_id         = azurerm_eventhub_namespace.this.id
  log_analytics_workspace_id = azurerm_log_analytics_workspace.this.id

  enabled_log {
    category_group = "allLogs"
  }

  enabled_metric {
    category = "AllMetrics"
  }
}
