# A Meridian region on the cloud `var.cloud`: exactly one of the three modules below is instantiated (count), all
# three take the same inputs (../interface/variables.tf) and expose the same outputs, so outputs.tf reads whichever
# one exists. Moving a region to another cloud is a change of `cloud` and `location` (and a data migration: the
# lake is copied by Meridian's replication assets, see README.md "Provisioning").
#
# Terraform cannot splat a variable set into a module call, hence the three argument lists; tests check that each
# passes every interface variable through unchanged.

module "gcp" {
  source = "../gcp"
  count  = var.cloud == "gcp" ? 1 : 0

  region_name                    = var.region_name
  location                       = var.location
  project                        = var.project
  name_prefix                    = var.name_prefix
  network_cidr                   = var.network_cidr
  control_plane_authorized_cidrs = var.control_plane_authorized_cidrs
  kubernetes_version             = var.kubernetes_version
  services_pool                  = var.services_pool
  batch_pool                     = var.batch_pool
  kafka_size                     = var.kafka_size
  database_size                  = var.database_size
  database_high_availability     = var.database_high_availability
  database_backup_retention_days = var.database_backup_retention_days
  lake_noncurrent_version_days   = var.lake_noncurrent_version_days
  kubernetes_namespace           = var.kubernetes_namespace
  deletion_protection            = var.deletion_protection
  labels                         = var.labels
}

module "aws" {
  source = "../aws"
  count  = var.cloud == "aws" ? 1 : 0

  region_name                    = var.region_name
  location                       = var.location
  project                        = var.project
  name_prefix                    = var.name_prefix
  network_cidr                   = var.network_cidr
  control_plane_authorized_cidrs = var.control_plane_authorized_cidrs
  kubernetes_version             = var.kubernetes_version
  services_pool                  = var.services_pool
  batch_pool                     = var.batch_pool
  kafka_size                     = var.kafka_size
  database_size                  = var.database_size
  database_high_availability     = var.database_high_availability
  database_backup_retention_days = var.database_backup_retention_days
  lake_noncurrent_version_days   = var.lake_noncurrent_version_days
  kubernetes_namespace           = var.kubernetes_namespace
  deletion_protection            = var.deletion_protection
  labels                         = var.labels
}

module "azure" {
  source = "../azure"
  count  = var.cloud == "azure" ? 1 : 0

  region_name                    = var.region_name
  location                       = var.location
  project                        = var.project
  name_prefix                    = var.name_prefix
  network_cidr                   = var.network_cidr
  control_plane_authorized_cidrs = var.control_plane_authorized_cidrs
  kubernetes_version             = var.kubernetes_version
  services_pool                  = var.services_pool
  batch_pool                     = var.batch_pool
  kafka_size                     = var.kafka_size
  database_size                  = var.database_size
  database_high_availability     = var.database_high_availability
  database_backup_retention_days = var.database_backup_retention_days
  lake_noncurrent_version_days   = var.lake_noncurrent_version_days
  kubernetes_namespace           = var.kubernetes_namespace
  deletion_protection            = var.deletion_protection
  labels                         = var.labels
}

locals {
  # The one instantiated cloud module (a tuple of one object: concat keeps each module's own output types).
  selected = concat(module.gcp, module.aws, module.azure)[0]
}
