# Public DNS for the edge collectors: `edge.<zone>` sends each client to its nearest healthy region,
# `edge-<region>.<zone>` reaches one region directly (debugging, pinned clients, the health of one edge).
#
# What was looked up (provider source and Cloud DNS docs), because it decides the design:
# - Cloud DNS routing policies work in PUBLIC zones with health checks on EXTERNAL endpoints (any public IP, on
#   any cloud): "public IP health checks" went GA in Feb 2025. The provider has routing_policy.health_check (the
#   global health check's ID) and health_checked_targets.external_endpoints (list of IPs) on google_dns_record_set
#   (magic-modules #12682, provider 6.x); so no fallback to Route 53 failover records is needed.
# - A geo policy answers with the item nearest the client (EDNS client subnet or resolver IP); when every target of
#   that item fails its health check and geo fencing is off, Cloud DNS answers with the next nearest location's
#   item: geo routing with failover in one record set.
# - DNSSEC zones: an item may hold rrdatas OR health_checked_targets, not both, and at most one health-checked IP
#   per item; one edge IP per region fits, so items carry only health_checked_targets.
# - The health check must be a global google_compute_health_check with exactly 3 source_regions; with
#   source_regions set, HTTP/HTTPS/TCP only (no SSL, HTTP2, gRPC), no proxy header, check_interval_sec >= 30.
# - Before creating routing policies in a public zone the organization policy constraint
#   constraints/compute.disableInternetNetworkEndpointGroup must not be enforced on the project (Cloud DNS docs).
# - The probes come from Google's health-check ranges: the edges' LoadBalancer Services must not restrict
#   loadBalancerSourceRanges so tightly that they are refused (the edges are public collectors anyway).

resource "google_dns_managed_zone" "public" {
  project     = var.project
  name        = local.zone_name
  dns_name    = var.dns_name
  description = "Meridian's public zone: the edge collectors (geo-routed, health-checked)"
  visibility  = "public"
  labels      = local.labels

  # Only the records this stack manages live here; a teardown may remove the zone with them when data is not
  # protected (records Terraform does not know about would otherwise block the delete).
  force_destroy = !var.deletion_protection

  dnssec_config {
    state         = "on"
    non_existence = "nsec3"
    # ECDSA P-256 for both keys: small signatures (UDP-friendly answers), not RSASHA1 (deprecated, CKV_GCP_17).
    default_key_specs {
      algorithm  = "ecdsap256sha256"
      key_length = 256
      key_type   = "keySigning"
    }
    default_key_specs {
      algorithm  = "ecdsap256sha256"
      key_length = 256
      key_type   = "zoneSigning"
    }
  }

  # Query logging: who resolves the edge, and which answer the routing policy gave (failover forensics).
  cloud_logging_config {
    enable_logging = true
  }
}

resource "google_compute_health_check" "edge" {
  project     = var.project
  name        = "meridian-edge-readyz"
  description = "Cloud DNS probe of each region's edge: HTTPS /readyz on 443 (the edge's readiness)"

  # 30 s is the floor with source_regions. 3 misses (~90 s) mark an edge down, 2 hits bring it back: a failover
  # is not triggered by one lost probe, and recovery does not flap.
  check_interval_sec  = 30
  timeout_sec         = 10
  healthy_threshold   = 2
  unhealthy_threshold = 3
  source_regions      = local.health_check_source_regions

  https_health_check {
    port               = 443
    port_specification = "USE_FIXED_PORT"
    request_path       = "/readyz"
    # The Host header of the probe: the name clients use (one check serves every region's edge). Probes do not
    # validate the certificate, so an edge whose certificate covers only edge-<region>.<zone> still passes.
    host = local.edge_hostname
  }
}

resource "google_dns_record_set" "edge" {
  project      = var.project
  managed_zone = google_dns_managed_zone.public.name
  name         = local.edge_record
  type         = "A"
  # Short: a failover reaches clients within about one TTL after the health check marks an edge down.
  ttl = 30

  routing_policy {
    health_check = google_compute_health_check.edge.id
    # Off: a region whose edge is down fails over to the next nearest one instead of answering with a dead IP.
    enable_geo_fencing = false

    dynamic "geo" {
      for_each = var.regions
      content {
        location = local.geo_locations[geo.key]
        health_checked_targets {
          external_endpoints = [geo.value.edge_address]
        }
      }
    }
  }
}

resource "google_dns_record_set" "edge_region" {
  for_each = var.regions

  project      = var.project
  managed_zone = google_dns_managed_zone.public.name
  name         = local.edge_region_records[each.key]
  type         = "A"
  ttl          = 300
  rrdatas      = [each.value.edge_address]
}
