# The region's GKE Standard cluster: regional (control plane and nodes in every zone of var.location), private
# (nodes without public IPs, the API server on a private endpoint only), Workload Identity for every Google API
# call, Dataplane V2 (eBPF, NetworkPolicy always enforced: the charts ship default-deny policies).
resource "google_container_cluster" "this" {
  #checkov:skip=CKV_GCP_21:resource_labels is local.labels, never empty (our labels merged with var.labels); checkov cannot resolve the merge through the environments' module calls
  #checkov:skip=CKV_GCP_65:Google Groups for RBAC needs the organisation's gke-security-groups@<domain> group, which this module cannot know; Kubernetes RBAC binds IAM principals directly.
  project  = var.project
  name     = local.name
  location = var.location

  deletion_protection = var.deletion_protection

  network         = google_compute_network.this.id
  subnetwork      = google_compute_subnetwork.nodes.id
  networking_mode = "VPC_NATIVE"
  ip_allocation_policy {
    cluster_secondary_range_name  = local.secondary_ranges.pods
    services_secondary_range_name = local.secondary_ranges.services
  }

  # The default pool is replaced by the two managed pools below: it only exists during creation,
  # so it gets the same hardened node settings and the node service account, never the Compute default one.
  remove_default_node_pool = true
  initial_node_count       = 1
  node_config {
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"] # IAM decides, not legacy scopes
    image_type      = "COS_CONTAINERD"
    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
    workload_metadata_config {
      mode = "GKE_METADATA"
    }
  }

  private_cluster_config {
    enable_private_nodes    = true
    enable_private_endpoint = true
    master_ipv4_cidr_block  = local.cidrs.control_plane
    # Reachable from other regions too (a central Argo CD or CI runners behind VPN in another region); who may
    # connect is still only the authorized CIDRs below.
    master_global_access_config {
      enabled = true
    }
  }

  # The private endpoint answers the region's own network (nodes, Pods: in-cluster clients) and the operators'
  # CIDRs (VPN, CI runners); nothing from the internet. Deduplicated, so listing network_cidr again is harmless.
  master_authorized_networks_config {
    gcp_public_cidrs_access_enabled      = false
    private_endpoint_enforcement_enabled = true
    dynamic "cidr_blocks" {
      for_each = local.control_plane_cidrs
      content {
        cidr_block   = cidr_blocks.value
        display_name = cidr_blocks.key == 0 ? "region-network" : "authorized-${cidr_blocks.key}"
      }
    }
  }

  master_auth {
    client_certificate_config {
      issue_client_certificate = false # no static admin certificate: every caller is an IAM principal
    }
  }
  enable_legacy_abac = false

  # A release channel always (GKE patches the control plane and nodes); kubernetes_version, when set, is the
  # minimum minor GKE may run. null: the channel's default version.
  release_channel {
    channel = "REGULAR"
  }
  min_master_version = var.kubernetes_version

  workload_identity_config {
    workload_pool = local.workload_pool
  }

  # Dataplane V2 enforces NetworkPolicy itself: the legacy (Calico) network_policy add-on must stay off with it.
  datapath_provider = "ADVANCED_DATAPATH"
  network_policy {
    enabled = false
  }

  enable_shielded_nodes       = true
  enable_intranode_visibility = true # Pod-to-Pod traffic on one node shows in VPC flow logs too

  # Kubernetes Secrets are encrypted in etcd with our key, not only Google's.
  database_encryption {
    state    = "ENCRYPTED"
    key_name = google_kms_crypto_key.this["kubernetes"].id
  }

  # Images are admitted against the project's Binary Authorization policy (its default allows all; tighten it to
  # signed images without changing the cluster).
  binary_authorization {
    evaluation_mode = "PROJECT_SINGLETON_POLICY_ENFORCE"
  }

  addons_config {
    http_load_balancing {
      disabled = false
    }
    horizontal_pod_autoscaling {
      disabled = false
    }
    network_policy_config {
      disabled = true # see datapath_provider
    }
    gce_persistent_disk_csi_driver_config {
      enabled = true # the edge's buffer volumes
    }
  }

  # The Secret Manager CSI add-on mounts secrets.tf's secrets with each Pod's own identity, so the per-secret
  # accessor grants are what a Pod can read.
  secret_manager_config {
    enabled = true
  }

  logging_config {
    enable_components = ["SYSTEM_COMPONENTS", "APISERVER", "CONTROLLER_MANAGER", "SCHEDULER", "WORKLOADS"]
  }
  # System and control-plane metrics to Cloud Monitoring through Google's managed Prometheus (GKE's default for new
  # clusters, explicit here because the control-plane packages need it). Meridian's own metrics go to the
  # Prometheus the charts' ServiceMonitors target, so the costly kube-state packages stay off.
  monitoring_config {
    enable_components = ["SYSTEM_COMPONENTS", "APISERVER", "SCHEDULER", "CONTROLLER_MANAGER"]
    managed_prometheus {
      enabled = true
    }
  }

  # Upgrades at night (UTC); GKE still patches security issues outside the window.
  maintenance_policy {
    daily_maintenance_window {
      start_time = "03:00"
    }
  }

  cost_management_config {
    enabled = true # GKE cost allocation by namespace and label in the billing export
  }

  resource_labels = local.labels

  lifecycle {
    # node_config and initial_node_count describe the deleted default pool; a change would recreate the cluster.
    ignore_changes = [node_config, initial_node_count]
  }

  depends_on = [
    google_kms_crypto_key_iam_member.encrypters,
    google_project_iam_member.nodes,
  ]
}

# The two pools: `services` (on-demand, always on) and `batch` (spot, tainted so only Dagster's runs land there).
# Counts are per zone (a regional pool has one instance group per zone).
resource "google_container_node_pool" "this" {
  for_each = local.node_pools

  project  = var.project
  name     = each.key
  cluster  = google_container_cluster.this.id
  location = var.location

  initial_node_count = each.value.min_nodes
  autoscaling {
    min_node_count  = each.value.min_nodes
    max_node_count  = each.value.max_nodes
    location_policy = each.value.location_policy
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }

  # One extra node at a time, none taken away before its replacement is ready: the edge keeps its capacity.
  upgrade_settings {
    strategy        = "SURGE"
    max_surge       = 1
    max_unavailable = 0
  }

  node_config {
    machine_type    = each.value.machine_type
    spot            = each.value.spot
    image_type      = "COS_CONTAINERD"
    disk_type       = "pd-balanced"
    disk_size_gb    = 100
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]

    boot_disk_kms_key = google_kms_crypto_key.this["kubernetes"].id

    labels = {
      "meridian.io/pool" = each.key
    }
    resource_labels = merge(local.labels, { pool = each.key })

    dynamic "taint" {
      for_each = each.value.taints
      content {
        key    = taint.value.key
        value  = taint.value.value
        effect = taint.value.effect
      }
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
    workload_metadata_config {
      mode = "GKE_METADATA" # Pods see only their own identity, never the node's
    }
    metadata = {
      disable-legacy-endpoints = "true"
    }
  }

  lifecycle {
    # The autoscaler owns the count after creation; recreating a pool to match its initial size would be absurd.
    ignore_changes = [initial_node_count]
  }
}
