terraform {
  required_version = ">= 1.6"
  # No required_providers here: this module calls no provider itself; each cloud module pins its own (google,
  # aws, azurerm, random), and an environment configures them (envs/_stack/providers.tf).
}
