# The lake: one regional bucket holding bronze parquet (the ledger, written with conditional writes). Regional, in
# var.location, so a region's data stays in its region; cross-region copies are the replication assets' job.

# Usage logs of the lake land here (who read or wrote which object), kept a year.
resource "google_storage_bucket" "access_logs" {
  #checkov:skip=CKV_GCP_62:This is the sink of the lake's access logs; logging it would log into itself or need a third bucket without end.
  project                     = var.project
  name                        = "${var.name_prefix}-lake-logs-${var.region_name}"
  location                    = upper(var.location)
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = !var.deletion_protection
  deletion_policy             = local.deletion_policy
  labels                      = local.labels

  versioning {
    enabled = true
  }

  encryption {
    default_kms_key_name = google_kms_crypto_key.this["lake"].id
  }

  soft_delete_policy {
    retention_duration_seconds = 604800 # 7 days, the minimum: logs are cheap to lose, costly to keep twice
  }

  lifecycle_rule {
    action {
      type = "Delete"
    }
    condition {
      age = 365
    }
  }
  lifecycle_rule {
    action {
      type = "Delete"
    }
    condition {
      days_since_noncurrent_time = 7
    }
  }

  depends_on = [google_kms_crypto_key_iam_member.encrypters]
}

# GCS writes usage logs as this Google group; with uniform access the grant is IAM, not an ACL.
resource "google_storage_bucket_iam_member" "access_logs_writer" {
  bucket = google_storage_bucket.access_logs.name
  role   = "roles/storage.objectCreator"
  member = "group:cloud-storage-analytics@google.com"
}

resource "google_storage_bucket" "lake" {
  project  = var.project
  name     = "${var.name_prefix}-lake-${var.region_name}"
  location = upper(var.location)
  # STANDARD: bronze is read back soon after it lands (dbt, replication); colder classes bill every read.
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true       # IAM only, no per-object ACLs to audit
  public_access_prevention    = "enforced" # no allUsers grant can ever take effect
  force_destroy               = !var.deletion_protection
  deletion_policy             = local.deletion_policy
  labels                      = local.labels

  # The lake is the ledger: an overwritten or deleted object's old version stays lake_noncurrent_version_days.
  versioning {
    enabled = true
  }

  encryption {
    default_kms_key_name = google_kms_crypto_key.this["lake"].id
  }

  # Soft delete on top of versioning catches what versioning does not: a noncurrent version removed by hand or by
  # the rule below, or the bucket itself. 7 days (the minimum) because noncurrent versions already cover
  # overwrites for lake_noncurrent_version_days, and soft-deleted bytes are billed.
  soft_delete_policy {
    retention_duration_seconds = 604800
  }

  lifecycle_rule {
    action {
      type = "Delete"
    }
    condition {
      days_since_noncurrent_time = var.lake_noncurrent_version_days
    }
  }
  # Parquet uploads from crashed runs leave parts behind; they are billed until removed.
  lifecycle_rule {
    action {
      type = "AbortIncompleteMultipartUpload"
    }
    condition {
      age = 7
    }
  }

  logging {
    log_bucket        = google_storage_bucket.access_logs.name
    log_object_prefix = "lake/"
  }

  depends_on = [google_kms_crypto_key_iam_member.encrypters]
}
