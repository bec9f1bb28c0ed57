# The region's VPC: one regional subnet (nodes, with secondary ranges for Pods and Services), Cloud NAT for egress
# (images from ghcr.io; nodes have no public IP) and Private Service Access for Cloud SQL. The global stack peers
# regions' networks (network_id output), which is why network_cidr must not overlap another region's.

resource "google_compute_network" "this" {
  project                 = var.project
  name                    = "${local.name}-vpc"
  description             = "Meridian region ${var.region_name}."
  auto_create_subnetworks = false # custom mode: only the ranges of the address plan (locals.tf), nothing to collide
  routing_mode            = "REGIONAL"

  depends_on = [google_project_service.this]
}

resource "google_compute_subnetwork" "nodes" {
  project       = var.project
  name          = "${local.name}-nodes"
  region        = var.location
  network       = google_compute_network.this.id
  ip_cidr_range = local.cidrs.nodes

  # Nodes reach Google APIs (GCS, BigQuery, Secret Manager) without NAT or public IPs.
  private_ip_google_access = true

  secondary_ip_range {
    range_name    = local.secondary_ranges.pods
    ip_cidr_range = local.cidrs.pods
  }
  secondary_ip_range {
    range_name    = local.secondary_ranges.services
    ip_cidr_range = local.cidrs.services
  }

  # VPC flow logs, sampled: half the flows at 10-minute aggregation keeps the cost low and still shows who talks
  # to whom (MirrorMaker across regions, the edge's clients).
  log_config {
    aggregation_interval = "INTERVAL_10_MIN"
    flow_sampling        = 0.5
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_router" "this" {
  project = var.project
  name    = "${local.name}-router"
  region  = var.location
  network = google_compute_network.this.id
}

resource "google_compute_router_nat" "this" {
  project                            = var.project
  name                               = "${local.name}-nat"
  router                             = google_compute_router.this.name
  region                             = var.location
  nat_ip_allocate_option             = "AUTO_ONLY"
  source_subnetwork_ip_ranges_to_nat = "LIST_OF_SUBNETWORKS"

  subnetwork {
    name                    = google_compute_subnetwork.nodes.id
    source_ip_ranges_to_nat = ["ALL_IP_RANGES"] # nodes and Pods (the Pods range is a secondary range)
  }

  # Dynamic port allocation: a node with many Pods pulling images gets more ports instead of dropping connections.
  enable_dynamic_port_allocation = true
  min_ports_per_vm               = 64
  max_ports_per_vm               = 4096

  log_config {
    enable = true
    filter = "ERRORS_ONLY" # port exhaustion and drops, not every translation
  }
}

# Private Service Access: the range Google's producer network (Cloud SQL) takes its addresses from, peered into the
# VPC, so the database has a private IP only.
resource "google_compute_global_address" "private_services" {
  project       = var.project
  name          = "${local.name}-private-services"
  description   = "Private Service Access range (Cloud SQL)."
  purpose       = "VPC_PEERING"
  address_type  = "INTERNAL"
  address       = cidrhost(local.cidrs.private_services, 0)
  prefix_length = tonumber(split("/", local.cidrs.private_services)[1])
  network       = google_compute_network.this.id
}

resource "google_service_networking_connection" "private_services" {
  network                 = google_compute_network.this.id
  service                 = "servicenetworking.googleapis.com"
  reserved_peering_ranges = [google_compute_global_address.private_services.name]
  # Deleting the peering fails while Cloud SQL still holds addresses in it (it releases them days later): abandon it
  # on destroy; deleting the network removes it.
  deletion_policy = "ABANDON"
}

# A private cluster's control plane reaches nodes on 443 and 10250 only (GKE's own rules). Admission webhooks and
# aggregated APIs of the charts' operators (KEDA's metrics server on 6443, webhooks on 8443/9443) need this rule,
# or their calls time out.
resource "google_compute_firewall" "control_plane_webhooks" {
  project     = var.project
  name        = "${local.name}-control-plane-webhooks"
  description = "GKE control plane to admission webhooks and aggregated APIs on the nodes."
  network     = google_compute_network.this.id
  direction   = "INGRESS"
  priority    = 1000

  source_ranges           = [local.cidrs.control_plane]
  target_service_accounts = [google_service_account.nodes.email]

  allow {
    protocol = "tcp"
    ports    = ["6443", "8443", "9443"]
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}
