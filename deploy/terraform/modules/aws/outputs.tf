# Exactly the outputs of the interface (../interface/README.md), with the same names and meanings on every cloud.

output "region_name" {
  description = "Meridian's name for the region (var.region_name)."
  value       = var.region_name
}

output "cloud" {
  description = "The cloud this region runs on: aws."
  value       = "aws"
}

output "location" {
  description = "The AWS region of every resource (var.location, checked equal to the provider's region)."
  value       = var.location
}

output "lake_bucket" {
  description = "The lake's S3 bucket."
  value       = aws_s3_bucket.lake.bucket
}

output "lake_url" {
  description = "The lake's URL for MERIDIAN_REGION_STORES: s3://bucket."
  value       = "s3://${aws_s3_bucket.lake.bucket}"
}

output "warehouse_dataset" {
  description = "The Glue Data Catalog database over the lake (queried with Athena through the region's workgroup)."
  value       = aws_glue_catalog_database.lake.name
}

output "kafka_cluster_id" {
  description = "The MSK cluster's ARN (MSK's identifier of a cluster)."
  value       = aws_msk_cluster.this.arn
}

output "kafka_bootstrap_servers" {
  description = "The brokers' SASL/SCRAM-over-TLS endpoints (host:9096,...), reachable inside the region's VPC and peered networks."
  value       = aws_msk_cluster.this.bootstrap_brokers_sasl_scram
}

output "kafka_security_protocol" {
  description = "The Kafka clients' security protocol: SASL_SSL."
  value       = "SASL_SSL"
}

output "kafka_sasl_mechanism" {
  description = "The Kafka clients' SASL mechanism: SCRAM-SHA-512 (MSK's SCRAM)."
  value       = "SCRAM-SHA-512"
}

output "kubernetes_cluster_name" {
  description = "The EKS cluster's name."
  value       = aws_eks_cluster.this.name
}

output "kubernetes_endpoint" {
  description = "The API server's endpoint (https://...); inside the VPC and peered networks its name resolves to the private endpoint."
  value       = aws_eks_cluster.this.endpoint
}

output "kubernetes_ca_certificate" {
  description = "The cluster CA certificate (base64-encoded PEM)."
  value       = aws_eks_cluster.this.certificate_authority[0].data
}

output "database_host" {
  description = "Dagster's PostgreSQL private host name (RDS endpoint address)."
  value       = aws_db_instance.this.address
}

output "database_port" {
  description = "Dagster's PostgreSQL port: 5432."
  value       = aws_db_instance.this.port
}

output "database_name" {
  description = "Dagster's PostgreSQL database: dagster."
  value       = aws_db_instance.this.db_name
}

output "database_user" {
  description = "Dagster's PostgreSQL user: dagster (its password is the dagster-postgresql-password secret)."
  value       = aws_db_instance.this.username
}

output "workload_identities" {
  description = "Workload (dagster, edge, stream, mirrormaker, exporter) -> its IAM role ARN (IRSA)."
  value       = { for w in local.workloads : w => aws_iam_role.workload[w].arn }
}

output "service_account_annotations" {
  description = "Workload -> the annotations of its Kubernetes ServiceAccount (meridian-<workload>) binding it to its IAM role."
  value       = { for w in local.workloads : w => { "eks.amazonaws.com/role-arn" = aws_iam_role.workload[w].arn } }
}

output "secrets" {
  description = "Secret (kafka-password, dagster-postgresql-password, edge-api-keys, platform) -> its Secrets Manager ARN. Values are never outputs."
  value       = local.secret_arns
}

output "network_id" {
  description = "The region's VPC ID (the global stack peers regions' VPCs for MirrorMaker)."
  value       = aws_vpc.this.id
}

output "node_pools" {
  description = "Pool (services, batch) -> the EKS managed node group's name."
  value       = { for pool in keys(local.node_pools) : pool => aws_eks_node_group.this[pool].node_group_name }
}
