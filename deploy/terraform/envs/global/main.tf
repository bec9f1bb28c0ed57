# What spans the Meridian regions: the geo-routed, health-checked edge DNS, the DR lease bucket, the lakes'
# cross-region read grants and the VPC peerings. Built from the regional stacks' outputs (envs/us, envs/eu,
# envs/apac re-export the region module's outputs under the same names: modules/interface/README.md), so apply
# the regions first.

locals {
  region_names = ["us", "eu", "apac"]
}

data "terraform_remote_state" "region" {
  for_each = toset(local.region_names)

  backend = "gcs"
  config = {
    bucket = "meridian-tfstate"
    prefix = "envs/${each.key}"
  }
}

module "global" {
  source = "../../modules/global"

  project             = var.project
  dns_name            = var.dns_name
  lease_location      = var.lease_location
  deletion_protection = var.deletion_protection
  labels              = var.labels

  regions = {
    for name in local.region_names : name => {
      cloud            = data.terraform_remote_state.region[name].outputs.cloud
      location         = data.terraform_remote_state.region[name].outputs.location
      lake_bucket      = data.terraform_remote_state.region[name].outputs.lake_bucket
      network_id       = data.terraform_remote_state.region[name].outputs.network_id
      dagster_identity = data.terraform_remote_state.region[name].outputs.workload_identities["dagster"]
      edge_address     = var.edge_addresses[name]
      geo_location     = lookup(var.edge_geo_locations, name, null)
    }
  }
}
