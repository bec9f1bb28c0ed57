# AKS: a private cluster, Entra ID for people, workload identity for pods, two node pools.

# The control plane's identity exists before the cluster, so it can be granted the subnets first (a
# system-assigned identity would be created with the cluster, too late for its own VNet permissions).
resource "azurerm_user_assigned_identity" "aks" {
  name                = "${local.name}-aks"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  tags                = local.tags
}

# Nodes, pods and internal load balancers join these two subnets: that is all of the VNet AKS may touch.
resource "azurerm_role_assignment" "aks_subnets" {
  for_each             = { nodes = azurerm_subnet.nodes.id, pods = azurerm_subnet.pods.id }
  scope                = each.value
  role_definition_name = "Network Contributor"
  principal_id         = azurerm_user_assigned_identity.aks.principal_id
  principal_type       = "ServicePrincipal"
}

# OS disks (and the temp disks and caches, through host encryption) are encrypted with the nodes' own key.
resource "azurerm_user_assigned_identity" "disks_cmk" {
  name                = "${local.name}-disks-cmk"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  tags                = local.tags
}

resource "azurerm_role_assignment" "disks_cmk" {
  scope                = azurerm_key_vault_key.cmk["disks"].resource_versionless_id
  role_definition_name = "Key Vault Crypto Service Encryption User"
  principal_id         = azurerm_user_assigned_identity.disks_cmk.principal_id
  principal_type       = "ServicePrincipal"
}

# Also the set a StorageClass names (parameter diskEncryptionSetID) to encrypt the edge's buffer volumes with
# the same key; AKS's default StorageClass uses platform keys.
resource "azurerm_disk_encryption_set" "nodes" {
  name                      = "${local.name}-disks"
  location                  = azurerm_resource_group.this.location
  resource_group_name       = azurerm_resource_group.this.name
  key_vault_key_id          = azurerm_key_vault_key.cmk["disks"].versionless_id
  auto_key_rotation_enabled = true # follows the key's rotation policy; needs the versionless ID
  tags                      = local.tags

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.disks_cmk.id]
  }

  depends_on = [azurerm_role_assignment.disks_cmk]
}

# The cluster's identity must read the set to create encrypted disks (not confirmed as required with a
# user-assigned control-plane identity; Reader is the least that covers it).
resource "azurerm_role_assignment" "aks_disk_encryption_set" {
  scope                = azurerm_disk_encryption_set.nodes.id
  role_definition_name = "Reader"
  principal_id         = azurerm_user_assigned_identity.aks.principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_kubernetes_cluster" "this" {
  #checkov:skip=CKV_AZURE_6:The API server is private (private_cluster_enabled) and AKS rejects authorized IP ranges on a private cluster; control_plane_authorized_cidrs are enforced by the node subnet's NSG (network.tf) instead
  #checkov:skip=CKV_AZURE_232:The default pool is the services pool by design (interface: services + batch); a third, system-only pool would add always-on nodes for no Meridian workload
  #checkov:skip=CKV_AZURE_226:OS disks are managed, not ephemeral, so they are encrypted with Meridian's key (disk_encryption_set_id, CKV_AZURE_117) and follow its automatic rotation; AKS can rotate the key of an ephemeral-OS pool only after scaling it to zero
  name                = local.name
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  dns_prefix          = local.name
  node_resource_group = "${var.project}-${local.name}-aks-nodes"
  kubernetes_version  = var.kubernetes_version # a minor ("1.33"); the patch channel below keeps it current
  sku_tier            = "Standard"             # the uptime SLA: the edge and the stream service run here

  # Upgrades within the minor and node images, in the maintenance windows below.
  automatic_upgrade_channel = "patch"
  node_os_upgrade_channel   = "NodeImage"

  # No public endpoint: the API server is a private endpoint in the node subnet, resolved through the
  # AKS-managed private DNS zone (VPN/CI networks must link or forward to it).
  private_cluster_enabled             = true
  private_dns_zone_id                 = "System"
  private_cluster_public_fqdn_enabled = false

  # People: Entra ID and Azure RBAC, no local (certificate) accounts. Pods: workload identity (identity.tf).
  local_account_disabled            = true
  role_based_access_control_enabled = true
  oidc_issuer_enabled               = true
  workload_identity_enabled         = true

  azure_active_directory_role_based_access_control {
    tenant_id          = data.azurerm_client_config.current.tenant_id
    azure_rbac_enabled = true
  }

  azure_policy_enabled         = true
  disk_encryption_set_id       = azurerm_disk_encryption_set.nodes.id
  image_cleaner_enabled        = true
  image_cleaner_interval_hours = 48

  # The Secrets Store CSI driver with rotation: one way to mount the Key Vault secrets (secrets.tf) with the
  # workload identities, if the platform does not use an external-secrets operator.
  key_vault_secrets_provider {
    secret_rotation_enabled = true
  }

  # Container Insights logs to the region's workspace, authenticated with the add-on's managed identity.
  oms_agent {
    log_analytics_workspace_id      = azurerm_log_analytics_workspace.this.id
    msi_auth_for_monitoring_enabled = true
  }

  # Node pools are Meridian's two, not node auto-provisioning (Karpenter): the interface sizes them.
  node_provisioning_profile {
    mode = "Manual"
  }

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.aks.id]
  }

  # Azure CNI powered by Cilium, pods on their own subnet (dynamic IP allocation): routable pod IPs for the
  # cross-region traffic, and Cilium enforces the chart's NetworkPolicies (or CiliumNetworkPolicies).
  network_profile {
    network_plugin     = "azure"
    network_data_plane = "cilium"
    network_policy     = "cilium"
    service_cidr       = local.service_cidr
    dns_service_ip     = local.dns_service_ip
    load_balancer_sku  = "standard"
    outbound_type      = "loadBalancer"
  }

  # `services`: on-demand nodes for the always-on services (edge, stream, MirrorMaker, exporter, Dagster's
  # daemon and webserver). The default pool must be a system pool; it runs the add-ons as well.
  default_node_pool {
    name                         = "services"
    vm_size                      = local.services_vm_size
    temporary_name_for_rotation  = "servicestmp"
    auto_scaling_enabled         = true
    min_count                    = var.services_pool.min_nodes
    max_count                    = var.services_pool.max_nodes
    orchestrator_version         = var.kubernetes_version
    vnet_subnet_id               = azurerm_subnet.nodes.id
    pod_subnet_id                = azurerm_subnet.pods.id
    zones                        = local.zones
    max_pods                     = 60
    os_disk_type                 = "Managed"
    os_disk_size_gb              = 128
    host_encryption_enabled      = true # temp disks and caches encrypted at the host; needs the EncryptionAtHost feature
    only_critical_addons_enabled = false
    node_labels                  = { "meridian.io/pool" = "services" }
    tags                         = local.tags

    upgrade_settings {
      max_surge = "33%"
    }
  }

  maintenance_window_auto_upgrade {
    frequency   = "Weekly"
    interval    = 1
    duration    = 4
    day_of_week = "Sunday"
    start_time  = "02:00"
    utc_offset  = "+00:00"
  }

  maintenance_window_node_os {
    frequency   = "Weekly"
    interval    = 1
    duration    = 4
    day_of_week = "Sunday"
    start_time  = "06:00"
    utc_offset  = "+00:00"
  }

  tags = local.tags

  lifecycle {
    # The cluster autoscaler owns the node count.
    ignore_changes = [default_node_pool[0].node_count]
  }

  depends_on = [
    azurerm_role_assignment.aks_subnets,
    azurerm_role_assignment.aks_disk_encryption_set,
  ]
}

# `batch`: Dagster's run pods only (tainted), spot by default (a run retries; deploy/helm/dagster), from
# min_nodes (0: nothing paid while idle). Spot pools also carry AKS's own spot taint and label, declared so the
# plan matches what AKS sets; the run pods tolerate both taints.
resource "azurerm_kubernetes_cluster_node_pool" "batch" {
  name                        = "batch"
  kubernetes_cluster_id       = azurerm_kubernetes_cluster.this.id
  mode                        = "User"
  vm_size                     = local.batch_vm_size
  temporary_name_for_rotation = "batchtmp"
  orchestrator_version        = var.kubernetes_version
  auto_scaling_enabled        = true
  min_count                   = var.batch_pool.min_nodes
  max_count                   = var.batch_pool.max_nodes
  node_count                  = var.batch_pool.min_nodes
  priority                    = var.batch_pool.spot ? "Spot" : "Regular"
  eviction_policy             = var.batch_pool.spot ? "Delete" : null # an evicted node is gone, not parked
  spot_max_price              = var.batch_pool.spot ? -1 : null       # -1: up to the on-demand price, never priced out
  vnet_subnet_id              = azurerm_subnet.nodes.id
  pod_subnet_id               = azurerm_subnet.pods.id
  zones                       = local.zones
  max_pods                    = 60
  os_disk_type                = "Managed" # encrypted by the cluster's disk encryption set, as on services
  os_disk_size_gb             = 128
  host_encryption_enabled     = true
  tags                        = local.tags

  node_labels = merge(
    { "meridian.io/pool" = "batch" },
    var.batch_pool.spot ? { "kubernetes.azure.com/scalesetpriority" = "spot" } : {},
  )
  node_taints = concat(
    ["meridian.io/batch=true:NoSchedule"],
    var.batch_pool.spot ? ["kubernetes.azure.com/scalesetpriority=spot:NoSchedule"] : [],
  )

  # Spot pools take no surge settings (the provider rejects them); regular ones must have one.
  dynamic "upgrade_settings" {
    for_each = var.batch_pool.spot ? [] : [1]
    content {
      max_surge = "33%"
    }
  }

  lifecycle {
    ignore_changes = [node_count]
  }
}

# The API server's audit and the autoscaler's decisions; kube-audit-admin (writes only) instead of kube-audit to
# keep the volume bounded.
resource "azurerm_monitor_diagnostic_setting" "aks" {
  name                           = "${local.name}-aks"
  target_resource_id             = azurerm_kubernetes_cluster.this.id
  log_analytics_workspace_id     = azurerm_log_analytics_workspace.this.id
  log_analytics_destination_type = "Dedicated"

  dynamic "enabled_log" {
    for_each = toset(["kube-apiserver", "kube-audit-admin", "kube-controller-manager", "kube-scheduler", "cluster-autoscaler", "guard"])
    content {
      category = enabled_log.value
    }
  }

  enabled_metric {
    category = "AllMetrics"
  }
}
