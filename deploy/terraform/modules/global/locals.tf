locals {
  zone_domain = trimsuffix(var.dns_name, ".")
  # Managed zone names are [a-z][-a-z0-9]{0,62}: the domain with dots as hyphens ("meridian-example-com").
  zone_name = substr(replace(local.zone_domain, ".", "-"), 0, 63)

  edge_record          = "edge.${var.dns_name}"
  edge_hostname        = "edge.${local.zone_domain}"
  edge_region_records  = { for name, r in var.regions : name => "edge-${name}.${var.dns_name}" }
  edge_region_hostname = { for name, r in var.regions : name => "edge-${name}.${local.zone_domain}" }

  # The GCP region each edge answers for in geo routing: its own location on GCP, the given one elsewhere.
  geo_locations = { for name, r in var.regions : name => r.cloud == "gcp" ? coalesce(r.geo_location, r.location) : r.geo_location }

  # A health check with source_regions takes exactly 3 GCP regions. Probe from the regions' own locations (sorted,
  # so the list is stable), padded with one region per continent when there are fewer than three.
  health_check_source_regions = slice(distinct(concat(
    sort(values(local.geo_locations)),
    ["us-central1", "europe-west1", "asia-southeast1", "us-east1"],
  )), 0, 3)

  gcp_regions = { for name, r in var.regions : name => r if r.cloud == "gcp" }

  # Every ordered (reader, store) pair of distinct regions: the reader's dagster reads the store's lake (replication).
  replication_pairs = flatten([
    for reader, rr in var.regions : [
      for store, sr in var.regions : {
        key          = "${reader}-reads-${store}"
        reader       = reader
        reader_cloud = rr.cloud
        identity     = rr.dagster_identity
        store        = store
        store_cloud  = sr.cloud
        bucket       = sr.lake_bucket
      } if store != reader
    ]
  ])

  # DR lease bucket: project IDs are globally unique, so is this name. CMEK for a multi-/dual-region bucket needs a
  # key in the matching Cloud KMS multi-region: GCS rejects a "global" key ("Cloud KMS region 'global' not
  # available for use with GCS region 'US'") and regional keys. The KMS names differ for EU (europe) and ASIA (asia);
  # the dual-regions share their names (nam4, eur4, asia1).
  lease_bucket_name = "${var.project}-dr-lease"
  kms_location      = lookup({ US = "us", EU = "europe", ASIA = "asia" }, upper(var.lease_location), lower(var.lease_location))

  labels = merge({ component = "meridian-global" }, var.labels)
}
