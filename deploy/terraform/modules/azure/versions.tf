terraform {
  required_version = ">= 1.6"

  # azurerm 5.x is the current major (5.0.0 July 2026, 5.2.0 the newest release looked up): every argument below
  # follows its schema (e.g. rbac_authorization_enabled, node_provisioning_profile, the *_enabled renames).
  # The provider block (features {}, subscription_id, storage_use_azuread, resource_providers_to_register) belongs
  # to the environment that calls the region module, never to this module.
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 5.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.9"
    }
  }
}
