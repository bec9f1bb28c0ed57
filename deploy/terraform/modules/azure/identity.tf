# One user-assigned managed identity per workload, federated with its Kubernetes ServiceAccount
# (system:serviceaccount:<namespace>:meridian-<workload>) through the cluster's OIDC issuer, and granted only its
# own resources: the container, the event hubs it reads or writes, the secrets it reads. No identity has a role
# at resource group or subscription scope.

locals {
  workloads = toset(["dagster", "edge", "stream", "mirrormaker", "exporter"])

  # What each workload does, per the interface: dagster reads and writes the lake and consumes Kafka (the raw
  # events and the mirrored peers' topics, hence the namespace); edge produces the raw events; stream consumes
  # them and writes its metrics and its state (which it reads back on restart); MirrorMaker reads and writes
  # topics whose names follow the peers (namespace); exporter reads the lake. The Event Hubs roles take effect
  # for Entra ID (OAUTHBEARER) clients; today's SASL PLAIN clients authenticate with kafka-password (kafka.tf).
  role_grants = {
    "dagster-lake"           = { workload = "dagster", role = "Storage Blob Data Contributor", scope = azurerm_storage_container.lake.id }
    "dagster-kafka"          = { workload = "dagster", role = "Azure Event Hubs Data Receiver", scope = azurerm_eventhub_namespace.this.id }
    "edge-events"            = { workload = "edge", role = "Azure Event Hubs Data Sender", scope = azurerm_eventhub.events.id }
    "stream-events"          = { workload = "stream", role = "Azure Event Hubs Data Receiver", scope = azurerm_eventhub.events.id }
    "stream-metrics"         = { workload = "stream", role = "Azure Event Hubs Data Sender", scope = azurerm_eventhub.metrics.id }
    "stream-state-write"     = { workload = "stream", role = "Azure Event Hubs Data Sender", scope = azurerm_eventhub.stream_state.id }
    "stream-state-read"      = { workload = "stream", role = "Azure Event Hubs Data Receiver", scope = azurerm_eventhub.stream_state.id }
    "mirrormaker-kafka-read" = { workload = "mirrormaker", role = "Azure Event Hubs Data Receiver", scope = azurerm_eventhub_namespace.this.id }
    "mirrormaker-kafka-send" = { workload = "mirrormaker", role = "Azure Event Hubs Data Sender", scope = azurerm_eventhub_namespace.this.id }
    "exporter-lake"          = { workload = "exporter", role = "Storage Blob Data Reader", scope = azurerm_storage_container.lake.id }
  }

  # Each workload reads only its own secrets (the exporter builds Dagster's PostgreSQL URL from the password).
  secret_readers = {
    dagster     = ["kafka-password", "dagster-postgresql-password", "platform"]
    edge        = ["kafka-password", "edge-api-keys"]
    stream      = ["kafka-password"]
    mirrormaker = ["kafka-password"]
    exporter    = ["dagster-postgresql-password"]
  }
  secret_grants = merge([
    for workload, names in local.secret_readers : {
      for name in names : "${workload}/${name}" => { workload = workload, secret = name }
    }
  ]...)
}

resource "azurerm_user_assigned_identity" "workload" {
  for_each            = local.workloads
  name                = "${local.name}-${each.key}"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  tags                = local.tags
}

resource "azurerm_federated_identity_credential" "workload" {
  for_each                  = local.workloads
  name                      = "aks-${var.kubernetes_namespace}-meridian-${each.key}"
  user_assigned_identity_id = azurerm_user_assigned_identity.workload[each.key].id
  audience                  = ["api://AzureADTokenExchange"]
  issuer                    = azurerm_kubernetes_cluster.this.oidc_issuer_url
  subject                   = "system:serviceaccount:${var.kubernetes_namespace}:meridian-${each.key}"
}

resource "azurerm_role_assignment" "workload" {
  for_each             = local.role_grants
  scope                = each.value.scope
  role_definition_name = each.value.role
  principal_id         = azurerm_user_assigned_identity.workload[each.value.workload].principal_id
  principal_type       = "ServicePrincipal"
}

# Key Vault Secrets User on the secret itself, not on the vault.
resource "azurerm_role_assignment" "workload_secret" {
  for_each             = local.secret_grants
  scope                = local.secrets[each.value.secret].resource_versionless_id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_user_assigned_identity.workload[each.value.workload].principal_id
  principal_type       = "ServicePrincipal"
}
