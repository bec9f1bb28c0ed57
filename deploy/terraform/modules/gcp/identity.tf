# Identities. Every workload is a Google service account that exactly one Kubernetes ServiceAccount may impersonate
# (Workload Identity), holding only what README.md's least-privilege line gives it; grants are on the bucket, the
# datasets and the secrets themselves wherever GCP has such a scope, and on the project only where it has none
# (Managed Kafka, BigQuery jobs). No service account keys are created here.

# --- Nodes -------------------------------------------------------------------------------------------------------

resource "google_service_account" "nodes" {
  project      = var.project
  account_id   = "${local.sa_prefix}-nodes"
  display_name = "Meridian ${var.region_name} GKE nodes"
  description  = "GKE node VMs: logs, metrics and node health only; workloads use their own identities."

  depends_on = [google_project_service.this]
}

# GKE's documented minimum for a node service account (log and metric writing, monitoring reads, resource metadata),
# instead of the Compute Engine default account's Editor.
resource "google_project_iam_member" "nodes" {
  project = var.project
  role    = "roles/container.defaultNodeServiceAccount"
  member  = google_service_account.nodes.member
}

# --- Kafka principal ---------------------------------------------------------------------------------------------

# The SASL/PLAIN principal of the meridian chart (kafka.sasl.username is this account's email; the password in the
# kafka-password secret is the base64 of a key of it). Terraform creates no key: the platform team creates and
# rotates it (gcloud iam service-accounts keys create), so no private key ever sits in the state. The email is also
# an annotation of the secret (secrets.tf).
resource "google_service_account" "kafka" {
  project      = var.project
  account_id   = "${local.sa_prefix}-kafka"
  display_name = "Meridian ${var.region_name} Kafka client"
  description  = "SASL/PLAIN principal of the region's Kafka clients (key created outside Terraform)."

  depends_on = [google_project_service.this]
}

resource "google_project_iam_member" "kafka" {
  project = var.project
  role    = "roles/managedkafka.client"
  member  = google_service_account.kafka.member
}

# --- Workloads ---------------------------------------------------------------------------------------------------

resource "google_service_account" "workload" {
  for_each = local.workloads

  project      = var.project
  account_id   = "${local.sa_prefix}-${each.value.short}"
  display_name = "Meridian ${var.region_name} ${each.key}"
  description  = each.value.description

  depends_on = [google_project_service.this]
}

# Only meridian-<workload> in the release namespace may act as the account. The identity pool exists once the
# cluster does, hence the dependency.
resource "google_service_account_iam_member" "workload_identity" {
  for_each = local.workloads

  service_account_id = google_service_account.workload[each.key].name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${local.workload_pool}[${var.kubernetes_namespace}/meridian-${each.key}]"

  depends_on = [google_container_cluster.this]
}

locals {
  # Project-level grants, only where the service has no narrower scope. Kafka clients hold
  # roles/managedkafka.client as well as the shared SASL principal: with it a client can move to SASL/OAUTHBEARER
  # on its own Workload Identity (no key at all) without another IAM change.
  workload_project_roles = merge(
    { for w in local.kafka_clients : "${w}/managedkafka.client" => { workload = w, role = "roles/managedkafka.client" } },
    # BigQuery jobs (queries, loads from the lake) run in a project; the data they touch is granted per dataset.
    { "dagster/bigquery.jobUser" = { workload = "dagster", role = "roles/bigquery.jobUser" } },
  )

  # The lake: Dagster reads and writes (objectAdmin: create, overwrite with preconditions, delete); the exporter
  # reads.
  lake_roles = {
    dagster  = "roles/storage.objectAdmin"
    exporter = "roles/storage.objectViewer"
  }
}

resource "google_project_iam_member" "workload" {
  for_each = local.workload_project_roles

  project = var.project
  role    = each.value.role
  member  = google_service_account.workload[each.value.workload].member
}

resource "google_storage_bucket_iam_member" "lake" {
  for_each = local.lake_roles

  bucket = google_storage_bucket.lake.name
  role   = each.value
  member = google_service_account.workload[each.key].member
}

# The warehouse: Dagster (dbt, bronze loads) edits the tables of every dataset; datasets themselves are Terraform's.
resource "google_bigquery_dataset_iam_member" "dagster" {
  for_each = google_bigquery_dataset.this

  project    = var.project
  dataset_id = each.value.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = google_service_account.workload["dagster"].member
}
