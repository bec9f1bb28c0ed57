# The warehouse: BigQuery datasets in the region (dbt's target and its raw/silver/gold layers, see locals.tf),
# CMEK-encrypted. Access is IAM on each dataset (identity.tf), never the authoritative `access` blocks, which
# would fight the IAM members.
resource "google_bigquery_dataset" "this" {
  for_each = local.warehouse_datasets

  project       = var.project
  dataset_id    = each.value
  friendly_name = "Meridian ${var.region_name} ${each.key}"
  description   = "Meridian region ${var.region_name}: ${each.key} (${each.key == "main" ? "the dbt target" : "a dbt layer"})."
  location      = var.location

  # 7 days of time travel (the maximum) undo a bad dbt run without a restore.
  max_time_travel_hours = "168"

  default_encryption_configuration {
    kms_key_name = google_kms_crypto_key.this["warehouse"].id
  }

  # With deletion protection the dataset cannot be destroyed, and if it could it would refuse while tables exist.
  delete_contents_on_destroy = !var.deletion_protection
  deletion_policy            = local.deletion_policy

  labels = merge(local.labels, { layer = each.key })

  depends_on = [google_kms_crypto_key_iam_member.encrypters, google_project_service.this]
}
