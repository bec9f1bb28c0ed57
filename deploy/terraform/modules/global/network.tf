# VPC Network Peering between the GCP regions' networks, so MirrorMaker in one region reaches the others' Kafka
# over private addresses. Peering is not transitive, hence a full mesh; each link is two resources (one on each
# network) and becomes ACTIVE once both exist. The regions' CIDRs are disjoint by contract (network_cidr).
#
# Custom routes are exchanged both ways so that routes a region adds beyond its subnets (e.g. the ranges its
# private services are reached through) are reachable from the peers too. Subnet routes with public IPs: the
# provider's defaults (export on, import off) are left alone.
#
# Not confirmed here, for the region module: Managed Kafka brokers are reached through Private Service Connect
# endpoints in the region's subnet, and their bootstrap names resolve in a private DNS zone of that network.
# Whether those endpoints answer clients in a peered network in another region (PSC global access) and whether
# the peers can resolve the names (a DNS peering zone, or the zone bound to every network) must be checked on a
# first deployment; peering alone gives IP reachability, not the other network's private DNS.
#
# The identity applying this stack needs compute.networks.addPeering / removePeering on every region's network
# (roles/compute.networkAdmin in the regions' projects).

locals {
  peerings = {
    for pair in flatten([
      for a in keys(local.gcp_regions) : [
        for b in keys(local.gcp_regions) : { from = a, to = b } if a != b
      ]
    ]) : "meridian-${pair.from}-to-${pair.to}" => pair
  }
}

resource "google_compute_network_peering" "region" {
  for_each = local.peerings

  name                 = each.key
  network              = local.gcp_regions[each.value.from].network_id
  peer_network         = local.gcp_regions[each.value.to].network_id
  export_custom_routes = true
  import_custom_routes = true
}
