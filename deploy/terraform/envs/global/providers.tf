# One Google provider: the global project holds the DNS zone, the health check and the DR lease bucket; grants on
# the regions' buckets and the peerings on their networks name those projects' resources explicitly, so the
# identity applying this stack needs rights there too (storage.buckets.setIamPolicy on the lakes,
# roles/compute.networkAdmin on the networks).
provider "google" {
  project        = var.project
  region         = var.region
  default_labels = var.labels
}
