# The one interface of a Meridian region, whatever the cloud.
#
# This file is the single source of the inputs: modules/region and each cloud module (modules/gcp, modules/aws,
# modules/azure) link to it (variables.tf is a symlink here), so a variable added for one cloud is an input of all
# of them, and tests/deploy/terraform checks that each cloud module uses every one and exposes the same outputs.
# Sizes are words (small | medium | large), not machine types: each cloud module maps them to its own offerings,
# so moving a region to another cloud changes `cloud` and `location`, nothing else.

variable "region_name" {
  description = "Meridian's name for the region (MERIDIAN_REGION): us, eu or apac. Names every resource."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,11}$", var.region_name))
    error_message = "region_name is 2-12 lowercase letters or digits, starting with a letter (e.g. us, eu, apac)."
  }
}

variable "location" {
  description = "The cloud's region for every resource of this Meridian region (e.g. us-central1, eu-west-1, southeastasia)."
  type        = string
}

variable "project" {
  description = "Where the resources live: the GCP project ID; the Azure resource group to create; on AWS (whose account comes from the provider) a tag naming the project."
  type        = string
}

variable "name_prefix" {
  description = "Prefix of every resource name; bucket names are global, so make it unique to your organisation."
  type        = string
  default     = "meridian"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,19}$", var.name_prefix))
    error_message = "name_prefix is 2-20 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "network_cidr" {
  description = "The region's private address range (VPC / VNet). Subnets for nodes, pods, services and databases are carved from it; it must not overlap another region's (MirrorMaker and replication cross regions)."
  type        = string
  validation {
    condition     = can(cidrhost(var.network_cidr, 0)) && tonumber(split("/", var.network_cidr)[1]) <= 16
    error_message = "network_cidr is an IPv4 CIDR of /16 or larger (e.g. 10.10.0.0/16)."
  }
}

variable "control_plane_authorized_cidrs" {
  description = "CIDRs allowed to reach the Kubernetes API (its endpoint is private; list your VPN or CI runners). Empty: only from inside the network."
  type        = list(string)
  default     = []
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the cluster (e.g. \"1.33\"); null follows the cloud's default or stable channel."
  type        = string
  default     = null
}

variable "services_pool" {
  description = "On-demand nodes for the always-on services (edge, stream, MirrorMaker, Dagster's daemon and webserver), scaled by the cluster autoscaler between min_nodes and max_nodes (per zone where the cloud counts so). machine_type null: the cloud module's default."
  type = object({
    min_nodes    = number
    max_nodes    = number
    machine_type = optional(string)
  })
  default = { min_nodes = 1, max_nodes = 6 }
  validation {
    condition     = var.services_pool.min_nodes >= 1 && var.services_pool.max_nodes >= var.services_pool.min_nodes
    error_message = "services_pool needs min_nodes >= 1 (the edge must always run) and max_nodes >= min_nodes."
  }
}

variable "batch_pool" {
  description = "Nodes for Dagster's run pods (bronze landing, dbt, quality), tainted so only runs land there; spot/preemptible by default (a run retries, see deploy/helm/dagster), scaled from min_nodes (0: nothing paid while idle)."
  type = object({
    min_nodes    = number
    max_nodes    = number
    machine_type = optional(string)
    spot         = optional(bool, true)
  })
  default = { min_nodes = 0, max_nodes = 10 }
  validation {
    condition     = var.batch_pool.min_nodes >= 0 && var.batch_pool.max_nodes >= max(var.batch_pool.min_nodes, 1)
    error_message = "batch_pool needs min_nodes >= 0 and max_nodes >= max(min_nodes, 1)."
  }
}

variable "kafka_size" {
  description = "The region's Kafka capacity: small (~20 MiB/s in), medium (~60 MiB/s), large (~150 MiB/s); each cloud module maps it to its offering (GCP Managed Kafka vCPUs, MSK brokers, Event Hubs units)."
  type        = string
  default     = "small"
  validation {
    condition     = contains(["small", "medium", "large"], var.kafka_size)
    error_message = "kafka_size is small, medium or large."
  }
}

variable "database_size" {
  description = "Dagster's PostgreSQL (runs, events, schedules): small, medium or large; mapped to the cloud's instance classes."
  type        = string
  default     = "small"
  validation {
    condition     = contains(["small", "medium", "large"], var.database_size)
    error_message = "database_size is small, medium or large."
  }
}

variable "database_high_availability" {
  description = "A standby in a second zone for Dagster's PostgreSQL (regional / Multi-AZ / zone-redundant)."
  type        = bool
  default     = true
}

variable "database_backup_retention_days" {
  description = "Days of automated PostgreSQL backups (point-in-time recovery within them)."
  type        = number
  default     = 14
  validation {
    condition     = var.database_backup_retention_days >= 7 && var.database_backup_retention_days <= 35
    error_message = "database_backup_retention_days is 7-35 (every cloud's common range)."
  }
}

variable "lake_noncurrent_version_days" {
  description = "Days an overwritten or deleted lake object's old version is kept (the lake is the ledger: a bad write can be undone within them)."
  type        = number
  default     = 30
  validation {
    condition     = var.lake_noncurrent_version_days >= 7
    error_message = "lake_noncurrent_version_days is at least 7."
  }
}

variable "kubernetes_namespace" {
  description = "The namespace Meridian's charts install into; workload identities are bound to its service accounts."
  type        = string
  default     = "meridian"
}

variable "deletion_protection" {
  description = "Refuse to destroy the data (lake bucket, warehouse, database, Kafka): turn off only to tear down a test region."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels (GCP) or tags (AWS, Azure) added to every resource."
  type        = map(string)
  default     = {}
}
