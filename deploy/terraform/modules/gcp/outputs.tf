# Exactly the outputs of the region interface (../interface/README.md), same names and meanings on every cloud.

output "region_name" {
  description = "Meridian's name for the region (MERIDIAN_REGION)."
  value       = var.region_name
}

output "cloud" {
  description = "The cloud this region runs on: gcp."
  value       = "gcp"
}

output "location" {
  description = "The GCP region of every resource of this Meridian region."
  value       = var.location
}

output "lake_bucket" {
  description = "The lake's GCS bucket."
  value       = google_storage_bucket.lake.name
}

output "lake_url" {
  description = "The lake as MERIDIAN_REGION_STORES takes it: gs://bucket."
  value       = "gs://${google_storage_bucket.lake.name}"
}

output "warehouse_dataset" {
  description = "The BigQuery dataset dbt targets, as project.dataset (MERIDIAN_BQ_PROJECT and MERIDIAN_BQ_DATASET)."
  value       = "${var.project}.${google_bigquery_dataset.this["main"].dataset_id}"
}

output "kafka_cluster_id" {
  description = "The Managed Service for Apache Kafka cluster (projects/PROJECT/locations/REGION/clusters/ID)."
  value       = google_managed_kafka_cluster.this.id
}

output "kafka_bootstrap_servers" {
  description = "The Kafka bootstrap address (host:port), reachable inside the region's VPC."
  value       = local.kafka_bootstrap_servers
}

output "kafka_security_protocol" {
  description = "Kafka security protocol of every client: SASL_SSL (Managed Kafka accepts TLS connections only)."
  value       = "SASL_SSL"
}

output "kafka_sasl_mechanism" {
  description = "Kafka SASL mechanism: PLAIN."
  # Managed Kafka authenticates Google principals over SASL/PLAIN (username: a service account email, password: the
  # base64 of a key of it) or SASL/OAUTHBEARER with Google access tokens; it has no SCRAM. The Meridian clients and
  # MirrorMaker speak PLAIN and SCRAM only (deploy/helm/meridian), so PLAIN, always inside TLS (SASL_SSL).
  value = "PLAIN"
}

output "kubernetes_cluster_name" {
  description = "The GKE cluster name."
  value       = google_container_cluster.this.name
}

output "kubernetes_endpoint" {
  description = "The GKE API server's private endpoint (https://IP)."
  value       = "https://${google_container_cluster.this.private_cluster_config[0].private_endpoint}"
}

output "kubernetes_ca_certificate" {
  description = "The GKE cluster CA certificate (base64 PEM)."
  value       = google_container_cluster.this.master_auth[0].cluster_ca_certificate
}

output "database_host" {
  description = "Private IP of Dagster's Cloud SQL for PostgreSQL instance."
  value       = google_sql_database_instance.dagster.private_ip_address
}

output "database_port" {
  description = "PostgreSQL port: 5432."
  value       = 5432
}

output "database_name" {
  description = "Dagster's database: dagster."
  value       = google_sql_database.dagster.name
}

output "database_user" {
  description = "Dagster's database user: dagster (password in the dagster-postgresql-password secret)."
  value       = google_sql_user.dagster.name
}

output "workload_identities" {
  description = "Workload (dagster, edge, stream, mirrormaker, exporter) -> the Google service account email it runs as."
  value       = { for workload, account in google_service_account.workload : workload => account.email }
}

output "service_account_annotations" {
  description = "Workload -> the annotations of its Kubernetes ServiceAccount (iam.gke.io/gcp-service-account)."
  value = {
    for workload, account in google_service_account.workload :
    workload => { "iam.gke.io/gcp-service-account" = account.email }
  }
}

output "secrets" {
  description = "kafka-password, dagster-postgresql-password, edge-api-keys, platform -> the Secret Manager secret ID (projects/PROJECT/secrets/NAME); values are never outputs."
  value       = { for name, secret in google_secret_manager_secret.this : name => secret.id }
}

output "network_id" {
  description = "The VPC network ID (the global stack peers regions' networks for MirrorMaker)."
  value       = google_compute_network.this.id
}

output "node_pools" {
  description = "services, batch -> the GKE node pool name."
  value       = { for pool, np in google_container_node_pool.this : pool => np.name }
}
