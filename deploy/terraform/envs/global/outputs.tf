output "edge_hostname" {
  description = "The edge collectors' global name: geo-routed to the nearest region whose edge is ready."
  value       = module.global.edge_hostname
}

output "edge_region_hostnames" {
  description = "Map: Meridian region -> that region's edge name (edge-<region>.<zone>)."
  value       = module.global.edge_region_hostnames
}

output "lease_bucket" {
  description = "The DR lease bucket's name."
  value       = module.global.lease_bucket
}

output "lease_url" {
  description = "What MERIDIAN_DR_LEASE_STORE takes: gs://<lease bucket>."
  value       = module.global.lease_url
}

output "dns_zone_name_servers" {
  description = "The name servers to delegate the zone to at its parent."
  value       = module.global.dns_zone_name_servers
}

output "replication_grants_outside_gcp" {
  description = "Read grants to make on (or for) another cloud: reader, store, bucket and where."
  value       = module.global.replication_grants_outside_gcp
}

output "peerings" {
  description = "Names of the VPC peerings between the GCP regions' networks."
  value       = module.global.peerings
}
