# The global stack's own inputs (it does not take the region interface's variables.tf): what spans regions.

variable "project" {
  description = "The GCP project of the global resources (DNS zone, health check, DR lease bucket and its key). The regions' own projects are reached through their outputs (bucket names, network IDs)."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project))
    error_message = "project is a GCP project ID: 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "dns_name" {
  description = "The public DNS zone Meridian's edges are published in, with the trailing dot (e.g. \"meridian.example.com.\"). Delegate it (NS) and publish its DS record at the parent: DNSSEC is on."
  type        = string
  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+$", var.dns_name)) && endswith(var.dns_name, ".")
    error_message = "dns_name is a lowercase DNS name ending with a dot, e.g. \"meridian.example.com.\"."
  }
}

variable "lease_location" {
  description = "Location of the DR lease bucket: a multi-region (US, EU, ASIA) or a predefined dual-region (e.g. NAM4, EUR4, ASIA1), so the lease outlives the loss of any one region. Its CMEK key ring is created in the matching Cloud KMS multi-region (us, europe, asia, nam4, ...)."
  type        = string
  default     = "US"
  validation {
    # Regional locations (us-central1) have a hyphen; multi- and dual-regions do not.
    condition     = can(regex("^[A-Za-z]+[0-9]*$", var.lease_location))
    error_message = "lease_location is a multi-region (US, EU, ASIA) or a predefined dual-region (NAM4, EUR4, ASIA1, ...), not a single region."
  }
}

variable "deletion_protection" {
  description = "Refuse to destroy the DR lease bucket while it holds objects (force_destroy = !deletion_protection); turn off only to tear down a test deployment."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels added to every global resource that takes labels."
  type        = map(string)
  default     = {}
}

variable "regions" {
  description = <<-EOT
    The Meridian regions, keyed by Meridian region name (us, eu, apac), built from each regional stack's outputs:
    cloud (gcp | aws | azure), location (the cloud's region), lake_bucket (the regional output of that name),
    network_id (VPC / VNet ID), dagster_identity (workload_identities["dagster"]: a GCP service-account email, an
    AWS role ARN or an Azure client ID) and edge_address (the public IP of the region's edge LoadBalancer Service).
    geo_location (optional): the GCP region whose users this edge serves in DNS geo routing; defaults to location
    on GCP and is required for a region on another cloud (Cloud DNS geo items are keyed by GCP region names).
  EOT
  type = map(object({
    cloud            = string
    location         = string
    lake_bucket      = string
    network_id       = string
    dagster_identity = string
    edge_address     = string
    geo_location     = optional(string)
  }))
  validation {
    condition     = length(var.regions) >= 1 && alltrue([for name in keys(var.regions) : can(regex("^[a-z][a-z0-9]{1,11}$", name))])
    error_message = "regions needs at least one region, keyed by Meridian region name (2-12 lowercase letters or digits, starting with a letter: it names DNS records)."
  }
  validation {
    condition     = alltrue([for r in values(var.regions) : contains(["gcp", "aws", "azure"], r.cloud)])
    error_message = "Each region's cloud is gcp, aws or azure."
  }
  validation {
    condition     = alltrue([for r in values(var.regions) : can(cidrhost("${r.edge_address}/32", 0))])
    error_message = "Each region's edge_address is an IPv4 address (the edge LoadBalancer's static public IP)."
  }
  validation {
    condition     = alltrue([for r in values(var.regions) : r.cloud == "gcp" || r.geo_location != null])
    error_message = "A region on aws or azure needs geo_location: the GCP region (e.g. europe-west1) nearest its users, for DNS geo routing."
  }
  validation {
    condition     = length(distinct([for r in values(var.regions) : r.cloud == "gcp" ? coalesce(r.geo_location, r.location) : r.geo_location])) == length(var.regions)
    error_message = "Two regions share a DNS geo location: Cloud DNS rejects a geo policy with two items for one location."
  }
  validation {
    condition = alltrue([for r in values(var.regions) : r.cloud != "gcp" || (
      can(regex("projects/[^/]+/global/networks/[a-z]([-a-z0-9]*[a-z0-9])?$", r.network_id)) &&
      can(regex("^[^@]+@[^@]+\\.iam\\.gserviceaccount\\.com$", r.dagster_identity))
    )])
    error_message = "A GCP region's network_id is projects/<project>/global/networks/<name> and its dagster_identity a service-account email."
  }
}
