# Exactly the interface's outputs (modules/interface/README.md), with the same names and meanings.

output "region_name" {
  description = "Meridian's name for the region (var.region_name)."
  value       = var.region_name
}

output "cloud" {
  description = "The cloud this module deploys to: azure."
  value       = "azure"
}

output "location" {
  description = "The Azure region of every resource (var.location)."
  value       = var.location
}

output "lake_bucket" {
  description = "The lake as storage account/container."
  value       = "${azurerm_storage_account.lake.name}/${azurerm_storage_container.lake.name}"
}

output "lake_url" {
  description = "The lake for MERIDIAN_REGION_STORES: abfs://container@account.dfs.core.windows.net."
  value       = "abfs://${azurerm_storage_container.lake.name}@${azurerm_storage_account.lake.name}.dfs.core.windows.net"
}

output "warehouse_dataset" {
  description = "null on Azure: no managed warehouse, dbt's DuckDB target reads the lake (warehouse.tf)."
  value       = null
}

output "kafka_cluster_id" {
  description = "The Event Hubs namespace's resource ID."
  value       = azurerm_eventhub_namespace.this.id
}

output "kafka_bootstrap_servers" {
  description = "The namespace's Kafka endpoint, NAMESPACE.servicebus.windows.net:9093 (resolves to its private endpoint inside the VNet)."
  value       = "${azurerm_eventhub_namespace.this.name}.servicebus.windows.net:9093"
}

output "kafka_security_protocol" {
  description = "Kafka's security protocol: SASL_SSL."
  value       = "SASL_SSL"
}

output "kafka_sasl_mechanism" {
  description = "Kafka's SASL mechanism on Event Hubs: PLAIN (username $ConnectionString, password the kafka-password secret)."
  value       = "PLAIN"
}

output "kubernetes_cluster_name" {
  description = "The AKS cluster's name."
  value       = azurerm_kubernetes_cluster.this.name
}

output "kubernetes_endpoint" {
  description = "The API server's private endpoint (https://PRIVATE_FQDN), resolvable inside the VNet."
  value       = "https://${azurerm_kubernetes_cluster.this.private_fqdn}"
}

output "kubernetes_ca_certificate" {
  description = "The cluster CA certificate (base64 PEM)."
  # A CA certificate is public; the provider marks the whole kube_config block sensitive.
  value = nonsensitive(azurerm_kubernetes_cluster.this.kube_config[0].cluster_ca_certificate)
}

output "database_host" {
  description = "Dagster's PostgreSQL host name (the private DNS zone resolves it to its private IP)."
  value       = azurerm_postgresql_flexible_server.dagster.fqdn
}

output "database_port" {
  description = "Dagster's PostgreSQL port: 5432."
  value       = 5432
}

output "database_name" {
  description = "Dagster's database: dagster."
  value       = azurerm_postgresql_flexible_server_database.dagster.name
}

output "database_user" {
  description = "Dagster's PostgreSQL login: dagster."
  value       = azurerm_postgresql_flexible_server.dagster.administrator_login
}

output "workload_identities" {
  description = "Workload (dagster, edge, stream, mirrormaker, exporter) -> its managed identity's client ID."
  value       = { for workload, identity in azurerm_user_assigned_identity.workload : workload => identity.client_id }
}

output "service_account_annotations" {
  description = "Workload -> the annotations of its Kubernetes ServiceAccount (azure.workload.identity/client-id)."
  value = {
    for workload, identity in azurerm_user_assigned_identity.workload : workload => {
      "azure.workload.identity/client-id" = identity.client_id
    }
  }
}

output "secrets" {
  description = "Secret (kafka-password, dagster-postgresql-password, edge-api-keys, platform) -> its Key Vault secret ID (versionless: always the current version). Values are never outputs."
  value       = { for name, secret in local.secrets : name => secret.versionless_id }
}

output "network_id" {
  description = "The VNet's resource ID (the global stack peers the regions' networks)."
  value       = azurerm_virtual_network.this.id
}

output "node_pools" {
  description = "Node pool -> its AKS name (services, batch)."
  value = {
    services = azurerm_kubernetes_cluster.this.default_node_pool[0].name
    batch    = azurerm_kubernetes_cluster_node_pool.batch.name
  }
}
