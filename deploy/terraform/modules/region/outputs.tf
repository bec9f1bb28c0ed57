# The chosen cloud module's outputs, unchanged: the same names whatever var.cloud (../interface/README.md).

output "region_name" {
  description = "Meridian's name for the region (MERIDIAN_REGION)"
  value       = local.selected.region_name
}

output "cloud" {
  description = "The cloud the region runs on: gcp, aws or azure"
  value       = local.selected.cloud
}

output "location" {
  description = "The cloud region every resource is in"
  value       = local.selected.location
}

output "lake_bucket" {
  description = "the lake's bucket (GCS bucket, S3 bucket, Azure storage account + container as account/container)"
  value       = local.selected.lake_bucket
}

output "lake_url" {
  description = "what MERIDIAN_REGION_STORES takes: gs://bucket, s3://bucket, abfs://container@account.dfs.core.windows.net"
  value       = local.selected.lake_url
}

output "warehouse_dataset" {
  description = "GCP: the BigQuery dataset (project.dataset); AWS: the Glue Data Catalog database over the lake; Azure: null (no managed warehouse: dbt's DuckDB target)"
  value       = local.selected.warehouse_dataset
}

output "kafka_cluster_id" {
  description = "the cloud's ID of the Kafka cluster / Event Hubs namespace"
  value       = local.selected.kafka_cluster_id
}

output "kafka_bootstrap_servers" {
  description = "host:port[,host:port] reachable inside the region's network"
  value       = local.selected.kafka_bootstrap_servers
}

output "kafka_security_protocol" {
  description = "SASL_SSL (every cloud)"
  value       = local.selected.kafka_security_protocol
}

output "kafka_sasl_mechanism" {
  description = "PLAIN (GCP Managed Kafka, Event Hubs) or SCRAM-SHA-512 (MSK)"
  value       = local.selected.kafka_sasl_mechanism
}

output "kubernetes_cluster_name" {
  description = "GKE / EKS / AKS cluster name"
  value       = local.selected.kubernetes_cluster_name
}

output "kubernetes_endpoint" {
  description = "the API server's private endpoint (https://...)"
  value       = local.selected.kubernetes_endpoint
}

output "kubernetes_ca_certificate" {
  description = "the cluster CA (base64 PEM)"
  value       = local.selected.kubernetes_ca_certificate
}

output "database_host" {
  description = "Dagster's PostgreSQL private host name or IP"
  value       = local.selected.database_host
}

output "database_port" {
  description = "5432"
  value       = local.selected.database_port
}

output "database_name" {
  description = "dagster"
  value       = local.selected.database_name
}

output "database_user" {
  description = "dagster"
  value       = local.selected.database_user
}

output "workload_identities" {
  description = "map: workload -> cloud identity (GCP service-account email, AWS IAM role ARN, Azure managed identity client ID) for dagster, edge, stream, mirrormaker, exporter"
  value       = local.selected.workload_identities
}

output "service_account_annotations" {
  description = "map: workload -> the Kubernetes ServiceAccount annotations binding it (iam.gke.io/gcp-service-account, eks.amazonaws.com/role-arn, azure.workload.identity/client-id)"
  value       = local.selected.service_account_annotations
}

output "secrets" {
  description = "map: kafka-password, dagster-postgresql-password, edge-api-keys, platform -> the cloud secret's ID (Secret Manager, Secrets Manager ARN, Key Vault secret ID); values are never outputs"
  value       = local.selected.secrets
}

output "network_id" {
  description = "the VPC / VNet ID (the global stack peers regions' networks for MirrorMaker)"
  value       = local.selected.network_id
}

output "node_pools" {
  description = "map: services, batch -> the node pool / node group name"
  value       = local.selected.node_pools
}
