# The one input modules/region has beyond the shared interface (variables.tf, a symlink to ../interface).
variable "cloud" {
  description = "Where this region runs: gcp (GKE, GCS, BigQuery, Managed Kafka, Cloud SQL), aws (EKS, S3, Glue, MSK, RDS) or azure (AKS, ADLS, Event Hubs, PostgreSQL flexible server). The inputs and outputs are the same for all three."
  type        = string
  validation {
    condition     = contains(["gcp", "aws", "azure"], var.cloud)
    error_message = "cloud is gcp, aws or azure."
  }
}
