terraform {
  # 1.6+: what OpenTofu 1.6+ also reads (deploy/terraform/README.md: either binary works).
  required_version = ">= 1.6"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 8.0"
    }
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.9"
    }
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 5.0"
    }
  }
}
