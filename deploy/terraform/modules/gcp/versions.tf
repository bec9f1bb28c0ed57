# Provider pins. hashicorp/google 8.x is the current major (8.0.0 shipped in August 2026); every resource here is
# GA, so google-beta is not needed (the one beta-only resource that would help, google_project_service_identity,
# is avoided: see encryption.tf). random makes the database password and the suffix of names GCP never frees.
terraform {
  required_version = ">= 1.6"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 8.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.9"
    }
  }
}
