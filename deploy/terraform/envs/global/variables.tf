variable "project" {
  description = "The GCP project of the global resources (DNS zone, edge health check, DR lease bucket and its KMS key)."
  type        = string
}

variable "region" {
  description = "The Google provider's default region (the global resources are global or multi-region; this only fills the provider default)."
  type        = string
  default     = "us-central1"
}

variable "dns_name" {
  description = "The public DNS zone for the edges, with the trailing dot (e.g. \"meridian.example.com.\")."
  type        = string
}

variable "lease_location" {
  description = "The DR lease bucket's multi-region (US, EU, ASIA) or predefined dual-region (NAM4, EUR4, ASIA1, ...)."
  type        = string
  default     = "US"
}

variable "deletion_protection" {
  description = "Refuse to destroy the DR lease bucket while it holds objects; turn off only to tear down a test deployment."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels added to every global resource."
  type        = map(string)
  default     = {}
}

variable "edge_addresses" {
  description = "Map: Meridian region (us, eu, apac) -> the static public IPv4 address of that region's edge LoadBalancer Service (reserved for it and set as its loadBalancerIP; Kubernetes allocates the load balancer, so it is not a regional Terraform output)."
  type        = map(string)
  validation {
    condition     = alltrue([for name in ["us", "eu", "apac"] : contains(keys(var.edge_addresses), name)])
    error_message = "edge_addresses needs an address for each region: us, eu and apac."
  }
  validation {
    condition     = alltrue([for ip in values(var.edge_addresses) : can(cidrhost("${ip}/32", 0))])
    error_message = "Each edge address is an IPv4 address."
  }
}

variable "edge_geo_locations" {
  description = "Map: Meridian region -> the GCP region whose users its edge serves in DNS geo routing. Needed only for a region on aws or azure (a GCP region uses its own location)."
  type        = map(string)
  default     = {}
}
