output "edge_hostname" {
  description = "The edge collectors' global name (no trailing dot): geo-routed to the nearest region whose edge passes its /readyz health check."
  value       = local.edge_hostname
}

output "edge_region_hostnames" {
  description = "Map: Meridian region -> the name of that region's edge alone (edge-<region>.<zone>, no trailing dot)."
  value       = local.edge_region_hostname
}

output "lease_bucket" {
  description = "The DR lease bucket's name (multi-/dual-region, CMEK, versioned)."
  value       = google_storage_bucket.lease.name
}

output "lease_url" {
  description = "What MERIDIAN_DR_LEASE_STORE takes: gs://<lease bucket>."
  value       = "gs://${google_storage_bucket.lease.name}"
}

output "dns_zone_name_servers" {
  description = "The name servers to delegate the zone to at its parent (NS records); the parent also needs the zone's DS record (DNSSEC is on)."
  value       = google_dns_managed_zone.public.name_servers
}

output "replication_grants_outside_gcp" {
  description = "The (reader region, store) read grants this stack cannot make because one side is not on GCP (and the DR lease for non-GCP regions): reader, reader_cloud, reader_identity, store, store_cloud, bucket, and where the grant must be made."
  value       = local.replication_grants_outside_gcp
}

output "peerings" {
  description = "Names of the VPC peerings between the GCP regions' networks (meridian-<from>-to-<to>, one per direction)."
  value       = [for name, p in google_compute_network_peering.region : p.name]
}
