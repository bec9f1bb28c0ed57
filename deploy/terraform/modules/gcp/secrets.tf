# Secret Manager: the containers of the four secrets the charts' Kubernetes Secrets are filled from (an
# external-secrets operator or the GKE Secret Manager add-on). Terraform sets no value except the database password
# it generates (database.tf). Replicated in the region only, like the data they unlock.
resource "google_secret_manager_secret" "this" {
  for_each = local.secrets

  project   = var.project
  secret_id = "${local.name}-${each.key}"

  replication {
    user_managed {
      replicas {
        location = var.location
      }
    }
  }

  # Destroyed versions stay recoverable (disabled) for a day: a mistaken rotation can be undone.
  version_destroy_ttl = "86400s"

  annotations = merge(
    { meridian-secret = each.key },
    each.key == "kafka-password" ? { meridian-kafka-sasl-username = google_service_account.kafka.email } : {},
  )
  labels = merge(local.labels, { secret = each.key })

  deletion_protection = var.deletion_protection

  depends_on = [google_project_service.this]
}

# Each secret is readable by the workloads listed in locals.tf, one grant per secret, never project-wide.
resource "google_secret_manager_secret_iam_member" "readers" {
  for_each = local.secret_readers

  project   = var.project
  secret_id = google_secret_manager_secret.this[each.value.secret].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.workload[each.value.workload].member
}
