# Names, sizes and tags: the one place that maps the interface's words to Azure's offerings.

data "azurerm_client_config" "current" {}

locals {
  # meridian-us, meridian-eu, ...: names every regional resource.
  name = "${var.name_prefix}-${var.region_name}"

  # Storage account, Key Vault, Event Hubs namespace and PostgreSQL server names are global DNS names. A short
  # hash of subscription, resource group and region keeps them unique per deployment yet stable across plans
  # (no random_string: a lost state must not rename the lake).
  suffix  = substr(sha1("${data.azurerm_client_config.current.subscription_id}/${var.project}/${local.name}"), 0, 6)
  compact = replace(local.name, "-", "")

  storage_account_name = "${substr(local.compact, 0, 18)}${local.suffix}"   # 3-24 lowercase letters and digits
  key_vault_name       = "${substr(local.compact, 0, 14)}kv${local.suffix}" # 3-24, letters and digits first
  eventhub_namespace   = "${local.name}-${local.suffix}"
  postgresql_name      = "${local.name}-dagster-${local.suffix}"

  tags = merge(var.labels, {
    "meridian-region" = var.region_name
    "managed-by"      = "terraform"
  })

  # Every zonal resource spreads over the region's three zones; Meridian's regions are all zonal Azure regions.
  zones = ["1", "2", "3"]

  # Address plan, relative to the prefix so a /14 scales every range up. The VNet takes the lower half of
  # network_cidr; the Kubernetes service range comes from the upper half, so it is the region's own range (never
  # another region's) yet outside the VNet's address space: AKS wants no network element on or connected to the
  # VNet (peered regions included) using a service CIDR.
  vnet_cidr       = cidrsubnet(var.network_cidr, 1, 0)  # /17 of a /16
  nodes_cidr      = cidrsubnet(var.network_cidr, 4, 0)  # /20: nodes and the API server's private endpoint
  endpoints_cidr  = cidrsubnet(var.network_cidr, 8, 16) # /24: private endpoints (lake, Event Hubs, Key Vault)
  postgresql_cidr = cidrsubnet(var.network_cidr, 8, 17) # /24: delegated to the flexible server
  pods_cidr       = cidrsubnet(var.network_cidr, 2, 1)  # /18: pod IPs, routable to peered regions
  service_cidr    = cidrsubnet(var.network_cidr, 4, 8)  # /20 in the upper half: ClusterIP services only
  dns_service_ip  = cidrhost(local.service_cidr, 10)

  # Kafka (Event Hubs). Premium for every size: a Standard namespace holds at most 10 event hubs, and MirrorMaker
  # 2 alone needs more in a three-region deployment (one mirrored topic and three Connect topics per peer, plus
  # checkpoints, heartbeats and offset syncs) next to the three topics below. Capacity is processing units at
  # roughly 5-10 MB/s of ingress each (Microsoft's sizing guidance; measure and adjust): 16 is a namespace's
  # maximum, beyond it a Dedicated cluster. Partitions cap consumer parallelism (the stream service's replicas);
  # the chart's kafka.partitions must equal them.
  kafka_sizes = {
    small  = { sku = "Premium", capacity = 4, partitions = 12 }
    medium = { sku = "Premium", capacity = 8, partitions = 24 }
    large  = { sku = "Premium", capacity = 16, partitions = 48 }
  }
  kafka = local.kafka_sizes[var.kafka_size]

  # Dagster's PostgreSQL: General Purpose, because Burstable cannot run a zone-redundant standby; the disk grows
  # on its own (auto_grow_enabled) from these sizes.
  database_sizes = {
    small  = { sku = "GP_Standard_D2ds_v5", storage_mb = 65536 }
    medium = { sku = "GP_Standard_D4ds_v5", storage_mb = 131072 }
    large  = { sku = "GP_Standard_D8ds_v5", storage_mb = 262144 }
  }
  database = local.database_sizes[var.database_size]

  # Node sizes when the pool's machine_type is null: general purpose, on which spot capacity is most common.
  services_vm_size = coalesce(var.services_pool.machine_type, "Standard_D4s_v5")
  batch_vm_size    = coalesce(var.batch_pool.machine_type, "Standard_D8s_v5")

  # Blob soft delete and container soft delete accept at most 365 days.
  lake_soft_delete_days = min(var.lake_noncurrent_version_days, 365)
}
