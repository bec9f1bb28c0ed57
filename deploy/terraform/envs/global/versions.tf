terraform {
  # 1.6+: what OpenTofu 1.6+ also reads (deploy/terraform/README.md: either binary works).
  required_version = ">= 1.6"

  # Only Google: the global stack's resources are all on GCP (Meridian's primary cloud). Grants on other clouds are
  # listed in the replication_grants_outside_gcp output for their own stacks to make.
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 8.0" # as ../../modules/global (the current major; see its versions.tf)
    }
  }
}
