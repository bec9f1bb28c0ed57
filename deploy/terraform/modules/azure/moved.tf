# Renamed addresses: a region applied before the rename keeps its resources (Terraform moves them in state instead
# of destroying and re-creating). Keep these until every region has applied past them: re-creating a CMK would
# leave the lake and the node disks encrypted with a key scheduled for deletion.

# The customer-managed keys became one for_each resource (secrets.tf).
moved {
  from = azurerm_key_vault_key.lake
  to   = azurerm_key_vault_key.cmk["lake"]
}

moved {
  from = azurerm_key_vault_key.disks
  to   = azurerm_key_vault_key.cmk["disks"]
}

# So did the secrets whose values Terraform generates.
moved {
  from = azurerm_key_vault_secret.kafka_password
  to   = azurerm_key_vault_secret.generated["kafka-password"]
}

moved {
  from = azurerm_key_vault_secret.dagster_postgresql_password
  to   = azurerm_key_vault_secret.generated["dagster-postgresql-password"]
}
