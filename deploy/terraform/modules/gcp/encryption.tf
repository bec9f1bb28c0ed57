# Customer-managed encryption keys (CMEK) for the stores whose checks ask for one: the lake (GCS), the warehouse
# (BigQuery) and GKE (etcd Secrets, node boot disks). Cloud SQL, Secret Manager and Managed Kafka keep Google-managed
# encryption (AES-256 at rest): their service agents only exist once `gcloud beta services identity create` (or the
# google-beta-only google_project_service_identity) has run, and granting a key to an agent that does not exist yet
# fails the apply. Add their CMEK with that step if your policy requires it.

# Key rings can never be deleted: the random suffix lets a torn-down region be created again under the same name.
resource "google_kms_key_ring" "this" {
  project  = var.project
  name     = "${local.name}-${random_id.suffix.hex}"
  location = var.location

  depends_on = [google_project_service.this]
}

resource "google_kms_crypto_key" "this" {
  #checkov:skip=CKV_GCP_82:Destruction is guarded by deletion_policy = PREVENT, driven by var.deletion_protection; lifecycle.prevent_destroy cannot take a variable and would make a test region impossible to tear down.
  for_each = local.kms_keys

  name            = each.key
  key_ring        = google_kms_key_ring.this.id
  purpose         = "ENCRYPT_DECRYPT"
  rotation_period = local.kms_rotation_period
  # Destroying a key makes its data unreadable: 30 days to cancel a mistaken destroy.
  destroy_scheduled_duration = "2592000s"
  deletion_policy            = local.deletion_policy
  labels                     = merge(local.labels, { purpose = each.key })
}

# The Cloud Storage and BigQuery service agents: these data sources create them if they do not exist yet.
data "google_storage_project_service_account" "this" {
  project = var.project
}

data "google_bigquery_default_service_account" "this" {
  project = var.project
}

locals {
  # Who encrypts with which key. The GKE agent (etcd Secrets) and the Compute Engine agent (boot disks) exist as
  # soon as the container and compute APIs are on.
  kms_encrypters = {
    "lake/storage"       = { key = "lake", member = data.google_storage_project_service_account.this.member }
    "warehouse/bigquery" = { key = "warehouse", member = data.google_bigquery_default_service_account.this.member }
    "kubernetes/gke"     = { key = "kubernetes", member = "serviceAccount:service-${data.google_project.this.number}@container-engine-robot.iam.gserviceaccount.com" }
    "kubernetes/compute" = { key = "kubernetes", member = "serviceAccount:service-${data.google_project.this.number}@compute-system.iam.gserviceaccount.com" }
  }
}

resource "google_kms_crypto_key_iam_member" "encrypters" {
  for_each = local.kms_encrypters

  crypto_key_id = google_kms_crypto_key.this[each.value.key].id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = each.value.member

  depends_on = [google_project_service.this]
}
