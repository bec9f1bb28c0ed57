# Every region's root module configures all three providers because modules/region holds all three clouds' modules
# (count picks one). The chosen cloud's provider gets the region's project/location and the credentials of whoever
# runs Terraform (gcloud ADC, an AWS profile, az login / a federated CI identity); the other two are told to make no
# account look-ups, so a GCP region's plan needs no AWS or Azure credentials. That last part is unverified here (no
# provider can be downloaded on this machine): deploy/terraform/README.md lists it among what a first plan checks.

provider "google" {
  project        = var.cloud == "gcp" ? var.project : null
  region         = var.cloud == "gcp" ? var.location : null
  default_labels = var.labels
}

provider "aws" {
  region                      = var.cloud == "aws" ? var.location : "us-east-1"
  skip_credentials_validation = var.cloud != "aws"
  skip_requesting_account_id  = var.cloud != "aws"
  skip_metadata_api_check     = var.cloud != "aws"
  default_tags {
    tags = var.labels
  }
}

provider "azurerm" {
  features {
    key_vault {
      # The lake's and the database's secrets outlive a destroy (purge protection is on): never purge them.
      purge_soft_delete_on_destroy = false
    }
    resource_group {
      prevent_deletion_if_contains_resources = true
    }
  }
  subscription_id = var.cloud == "azure" ? var.azure_subscription_id : "00000000-0000-0000-0000-000000000000"
  # Storage through Entra ID: the lake's account has shared keys off (modules/azure/lake.tf).
  storage_use_azuread = true
  # azurerm 5 registers no resource provider by default: the ones an Azure region uses (and none elsewhere).
  resource_provider_registrations = "none"
  resource_providers_to_register = var.cloud == "azure" ? [
    "Microsoft.Compute", "Microsoft.ContainerService", "Microsoft.DBforPostgreSQL", "Microsoft.EventHub",
    "Microsoft.Insights", "Microsoft.KeyVault", "Microsoft.ManagedIdentity", "Microsoft.Network",
    "Microsoft.OperationalInsights", "Microsoft.PolicyInsights", "Microsoft.Storage",
  ] : []
}

variable "azure_subscription_id" {
  description = "The Azure subscription of an Azure region (azurerm 4 requires it); ignored on GCP and AWS."
  type        = string
  default     = null
}
