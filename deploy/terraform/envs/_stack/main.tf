# One Meridian region: the shared root module of envs/us, envs/eu and envs/apac, whose main.tf, variables.tf,
# outputs.tf, providers.tf and versions.tf are symlinks to this folder (the regions differ only in their backend
# prefix and terraform.tfvars). Not an environment itself: it has no backend.

module "region" {
  source = "../../modules/region"

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
  cloud                          = var.cloud
}
