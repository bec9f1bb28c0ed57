terraform {
  # 1.6+: what OpenTofu 1.6+ also reads (deploy/terraform/README.md: either binary works).
  required_version = ">= 1.6"

  required_providers {
    google = {
      source = "hashicorp/google"
      # 8.x is the current major (the provider's version_8_upgrade guide; 8.2.0 is referenced by published modules).
      # Its breaking changes (BigQuery collation, GKE name_prefix, backend-service defaults, notebooks) touch
      # nothing here. What this module needs appeared in 6.x: routing_policy.health_check and
      # health_checked_targets.external_endpoints (google_dns_record_set, Jan 2025) and source_regions
      # (google_compute_health_check). The regional stacks still pin ~> 7.0; this is a separate root.
      version = "~> 8.0"
    }
  }
}
