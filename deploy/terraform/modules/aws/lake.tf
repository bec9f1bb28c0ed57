# The lake: bronze parquet, the ledger. Written with conditional writes (S3 If-None-Match / If-Match, native to S3).
#
# Soft delete: S3 has no soft-delete setting of its own; versioning is it. An overwritten or deleted object keeps
# its previous version (a delete only adds a delete marker) for var.lake_noncurrent_version_days, within which a bad
# write is undone by restoring the version. After that the old version is expired for good.

locals {
  lake_bucket_name = "${local.name}-lake"
  logs_bucket_name = "${local.name}-lake-access-logs"
  # Athena's query results (dbt over the lake) live in the lake bucket under this prefix, expired quickly.
  athena_results_prefix = "athena-results/"
}

resource "aws_s3_bucket" "lake" {
  bucket = local.lake_bucket_name
  # deletion_protection: a non-empty bucket cannot be destroyed; off (a test region), destroy empties it first,
  # old versions included.
  force_destroy = !var.deletion_protection

  tags = local.tags

  #checkov:skip=CKV_AWS_144:Cross-region copies of the lake are Meridian's own replication assets (per-object, ledger-aware, to the other regions' lakes), not S3 CRR.
  #checkov:skip=CKV2_AWS_62:Nothing in Meridian consumes S3 event notifications (no SQS, SNS or EventBridge consumer); Dagster schedules and sensors read the lake directly.
}

resource "aws_s3_bucket_ownership_controls" "lake" {
  bucket = aws_s3_bucket.lake.id
  rule {
    object_ownership = "BucketOwnerEnforced" # ACLs disabled: IAM policies alone decide access
  }
}

resource "aws_s3_bucket_public_access_block" "lake" {
  bucket                  = aws_s3_bucket.lake.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "lake" {
  bucket = aws_s3_bucket.lake.id
  versioning_configuration {
    status = "Enabled"
  }
}

# SSE-KMS with the region's CMK (rotated yearly); the bucket key cuts KMS requests (and their cost) by caching a
# bucket-level data key, at the price of CloudTrail showing the bucket, not each object, as the KMS context.
resource "aws_s3_bucket_server_side_encryption_configuration" "lake" {
  bucket = aws_s3_bucket.lake.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "lake" {
  bucket = aws_s3_bucket.lake.id

  rule {
    id     = "noncurrent-versions"
    status = "Enabled"
    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.lake_noncurrent_version_days
    }
    # A delete marker whose versions have all expired is clutter: remove it.
    expiration {
      expired_object_delete_marker = true
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  rule {
    id     = "athena-results"
    status = "Enabled"
    filter {
      prefix = local.athena_results_prefix
    }
    expiration {
      days = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.lake]
}

data "aws_iam_policy_document" "lake" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    resources = [aws_s3_bucket.lake.arn, "${aws_s3_bucket.lake.arn}/*"]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "lake" {
  bucket = aws_s3_bucket.lake.id
  policy = data.aws_iam_policy_document.lake.json

  depends_on = [aws_s3_bucket_public_access_block.lake]
}

resource "aws_s3_bucket_logging" "lake" {
  bucket        = aws_s3_bucket.lake.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "lake/"
}

# Server access logs of the lake (who read or wrote what): a bucket of its own, since a bucket logging into itself
# would log its own log writes.
resource "aws_s3_bucket" "logs" {
  bucket        = local.logs_bucket_name
  force_destroy = !var.deletion_protection
  tags          = local.tags

  #checkov:skip=CKV_AWS_18:This is the access-log target; logging it too would need a third bucket, and so on.
  #checkov:skip=CKV_AWS_144:Access logs are regional audit data; copying them to another region adds nothing the lake's own replication needs.
  #checkov:skip=CKV2_AWS_62:Nothing consumes event notifications of access logs.
  #checkov:skip=CKV_AWS_145:S3 server access logging delivers only to buckets encrypted with SSE-S3 (SSE-KMS default encryption is not supported for the target).
}

resource "aws_s3_bucket_ownership_controls" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    object_ownership = "BucketOwnerEnforced" # log delivery is granted by the bucket policy below, not ACLs
  }
}

resource "aws_s3_bucket_public_access_block" "logs" {
  bucket                  = aws_s3_bucket.logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"
    filter {}

    expiration {
      days = 365
    }
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.logs]
}

data "aws_iam_policy_document" "logs" {
  statement {
    sid       = "S3ServerAccessLogsFromTheLake"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.logs.arn}/lake/*"]
    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [aws_s3_bucket.lake.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    resources = [aws_s3_bucket.logs.arn, "${aws_s3_bucket.logs.arn}/*"]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "logs" {
  bucket = aws_s3_bucket.logs.id
  policy = data.aws_iam_policy_document.logs.json

  depends_on = [aws_s3_bucket_public_access_block.logs]
}
