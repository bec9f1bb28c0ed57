# Replication between the regions' lakes: every region's dagster may READ every other region's lake (Meridian's
# replication assets copy the others' bronze into its own lake). Writes stay with the lake's own region: its
# region module grants its own dagster read/write, and nothing here grants a write.
#
# Bucket-level roles/storage.objectViewer (get + list), not project-level, so a grant opens one lake and nothing
# else in that project. CMEK on a lake does not need a KMS grant for the reader: the bucket project's Cloud
# Storage service agent decrypts.

locals {
  gcp_replication_grants = {
    for p in local.replication_pairs : p.key => p if p.reader_cloud == "gcp" && p.store_cloud == "gcp"
  }

  # Where each grant that is not GCP-to-GCP has to be made, so the owner of the other cloud's stack can make it.
  outside_gcp_where = {
    aws   = "S3 bucket policy on the store's bucket (s3:ListBucket on the bucket, s3:GetObject on its objects) for an IAM role in the store's account that the reader assumes: a GCP reader through sts:AssumeRoleWithWebIdentity (trust accounts.google.com, aud/sub = the service account's unique ID); an Azure reader through an OIDC provider for its Entra ID tenant."
    azure = "Storage Blob Data Reader on the store's container (account/container) for a user-assigned managed identity with a federated identity credential that trusts the reader: a GCP reader with issuer https://accounts.google.com and subject = the service account's unique ID; an AWS reader through Entra ID workload identity federation."
    gcp   = "roles/storage.objectViewer on the store's GCS bucket for the reader's identity through a GCP Workload Identity Federation pool (principal://iam.googleapis.com/projects/<number>/locations/global/workloadIdentityPools/<pool>/subject/<reader identity>); this stack creates no pool, so the grant is made where the pool is."
  }

  replication_grants_outside_gcp = concat(
    [
      for p in local.replication_pairs : {
        reader          = p.reader
        reader_cloud    = p.reader_cloud
        reader_identity = p.identity
        store           = p.store
        store_cloud     = p.store_cloud
        bucket          = p.bucket
        where           = local.outside_gcp_where[p.store_cloud]
      } if !(p.reader_cloud == "gcp" && p.store_cloud == "gcp")
    ],
    # The DR lease is on GCP: a region on another cloud needs the same federated grant to take part in failover.
    [
      for name, r in var.regions : {
        reader          = name
        reader_cloud    = r.cloud
        reader_identity = r.dagster_identity
        store           = "lease"
        store_cloud     = "gcp"
        bucket          = google_storage_bucket.lease.name
        where           = replace(local.outside_gcp_where["gcp"], "roles/storage.objectViewer", "roles/storage.objectUser")
      } if r.cloud != "gcp"
    ],
  )
}

resource "google_storage_bucket_iam_member" "replication_read" {
  for_each = local.gcp_replication_grants

  bucket = each.value.bucket
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${each.value.identity}"
}
