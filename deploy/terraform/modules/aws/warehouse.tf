# The warehouse on AWS: a Glue Data Catalog database over the lake, queried with Athena (dbt-athena). There is no
# separate warehouse storage: tables are metadata over s3://<lake>/, so the data's protection is the lake's
# (versioning, force_destroy = !deletion_protection). Glue databases have no deletion-protection flag; losing one
# loses only table definitions, which dbt and Dagster recreate.
#
# Glue names are lowercase with underscores (Athena rejects hyphens in unquoted identifiers).

resource "aws_glue_catalog_database" "lake" {
  name         = replace("${local.name}_lake", "-", "_")
  description  = "Meridian ${var.region_name}: tables over the lake bucket ${aws_s3_bucket.lake.bucket} (Athena, dbt)."
  location_uri = "s3://${aws_s3_bucket.lake.bucket}/"
  tags         = local.tags
}

# The workgroup dbt and Dagster query through: results encrypted with the region's CMK under the lake's
# athena-results/ prefix (expired after 7 days, lake.tf), settings enforced so a client cannot write results
# elsewhere or unencrypted.
resource "aws_athena_workgroup" "this" {
  name = local.name
  # A workgroup holds only saved queries and history; the deletion_protection switch covers it like the data.
  force_destroy = !var.deletion_protection

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true

    result_configuration {
      output_location = "s3://${aws_s3_bucket.lake.bucket}/${local.athena_results_prefix}"
      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = aws_kms_key.this.arn
      }
    }
  }

  tags = local.tags
}
