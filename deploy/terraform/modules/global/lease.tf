# The DR aggregation lease (orchestration/lib/lease.py, MERIDIAN_DR_LEASE_STORE = lease_url): which region builds
# global silver and gold, under which epoch. It must outlive any one region, hence a multi-/dual-region bucket in
# the global project rather than any region's lake.
#
# The lease is an append-only log written with create-only writes (GCS: ifGenerationMatch=0, "only if no live
# version exists"), never overwritten or deleted. Versioning does not interfere: a precondition compares against the
# live object's generation only (noncurrent and soft-deleted versions are not live), so a create-only write still
# loses to a racing writer exactly as without versioning. Versioning and soft delete only add recovery from a
# mistaken manual delete.

resource "google_kms_key_ring" "lease" {
  project  = var.project
  name     = "meridian-dr-lease"
  location = local.kms_location
}

resource "google_kms_crypto_key" "lease" {
  name            = "dr-lease"
  key_ring        = google_kms_key_ring.lease.id
  purpose         = "ENCRYPT_DECRYPT"
  rotation_period = "7776000s" # 90 days: new objects use the new version, old ones stay readable
  labels          = local.labels

  # A destroyed key makes every lease object unreadable, and KMS keys can never be deleted anyway (only their
  # versions destroyed): a teardown removes this from state (`terraform state rm`) instead of destroying it.
  lifecycle {
    prevent_destroy = true
  }
}

data "google_storage_project_service_account" "gcs" {
  project = var.project
}

# CMEK: the project's Cloud Storage service agent encrypts and decrypts for every caller, so the regions' identities
# need no KMS role.
resource "google_kms_crypto_key_iam_member" "gcs_lease" {
  crypto_key_id = google_kms_crypto_key.lease.id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = "serviceAccount:${data.google_storage_project_service_account.gcs.email_address}"
}

resource "google_storage_bucket" "lease" {
  #checkov:skip=CKV_GCP_62:Usage logs need a second bucket of their own; access to the lease is recorded by Cloud Audit Logs instead (Data Access DATA_WRITE for storage.googleapis.com, google_project_iam_audit_config.storage below), and the lease objects are themselves an append-only record of every grant.
  project                     = var.project
  name                        = local.lease_bucket_name
  location                    = upper(var.lease_location)
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = !var.deletion_protection
  labels                      = local.labels

  versioning {
    enabled = true
  }

  soft_delete_policy {
    retention_duration_seconds = 2592000 # 30 days
  }

  # Lease objects are never overwritten, so this only ever removes versions left by a manual overwrite or delete.
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 30
    }
    action {
      type = "Delete"
    }
  }

  encryption {
    default_kms_key_name = google_kms_crypto_key.lease.id
  }

  # The service agent must hold the key before the bucket can default to it.
  depends_on = [google_kms_crypto_key_iam_member.gcs_lease]
}

# Every GCP region's dagster reads the lease (which region holds it) and, on promotion, creates the next epoch's
# object. roles/storage.objectUser (objects: get, list, create, update, delete) is what the stack grants; the code
# only needs get, list and create, so roles/storage.objectCreator + roles/storage.objectViewer would be tighter.
resource "google_storage_bucket_iam_member" "lease_dagster" {
  for_each = local.gcp_regions

  bucket = google_storage_bucket.lease.name
  role   = "roles/storage.objectUser"
  member = "serviceAccount:${each.value.dagster_identity}"
}

# Who wrote which lease object (a promotion is a write): Data Access audit logs for Cloud Storage writes in the
# global project. Reads are left out: every region polls the lease, which would be most of the log volume.
# Authoritative for storage.googleapis.com in this project: it replaces any other audit config for that service.
resource "google_project_iam_audit_config" "storage" {
  project = var.project
  service = "storage.googleapis.com"

  audit_log_config {
    log_type = "DATA_WRITE"
  }
}
