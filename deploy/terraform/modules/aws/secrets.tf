# The region's customer-managed key and its secrets.
#
# One CMK for the region (lake objects, MSK volumes, EKS Secrets, RDS storage and Performance Insights, Secrets
# Manager, CloudWatch log groups, Athena results): one key policy to review and one audit trail, at the price of a
# shared blast radius. Who may use it is decided by IAM policies (the root statement below delegates to IAM);
# only CloudWatch Logs, which acts as itself rather than on behalf of a caller, is named in the key policy.

resource "aws_kms_key" "this" {
  description             = "Meridian ${var.region_name} (${local.name}): lake, Kafka, Kubernetes secrets, database, secrets, logs"
  enable_key_rotation     = true # yearly, transparent to every user of the key
  deletion_window_in_days = var.deletion_protection ? 30 : 7
  policy                  = data.aws_iam_policy_document.kms.json
  tags                    = local.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${local.name}"
  target_key_id = aws_kms_key.this.key_id
}

data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_109:A key policy's Resource "*" means this key only; the root statement delegates to IAM policies, as AWS's default key policy does.
  #checkov:skip=CKV_AWS_111:Same: in a key policy "*" is the key itself, not every resource.
  #checkov:skip=CKV_AWS_356:Same: key policies have no other way to name the key they are attached to.
  statement {
    sid       = "AccountAdministersTheKeyThroughIAM"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid = "CloudWatchLogsEncryptsThisAccountsLogGroups"
    actions = [
      "kms:Encrypt*",
      "kms:Decrypt*",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:Describe*",
    ]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"]
    }
  }
}

# --- Secrets ------------------------------------------------------------------------------------------------------
# Secrets Manager's soft delete is the recovery window: a deleted secret can be restored within it. 30 days with
# deletion protection; 0 (immediate) for a test region, so a torn-down region can be re-created with the same names.
locals {
  secret_recovery_days = var.deletion_protection ? 30 : 0
}

# kafka-password: the MSK SCRAM credential. MSK requires the AmazonMSK_ name prefix, a customer-managed key and a
# {"username", "password"} JSON value, so the value is generated here (random_password: in state, see database.tf
# for the same trade-off). The charts take the `password` property into their meridian-kafka Secret and the
# username (local.kafka_username, "meridian") as kafka.sasl.username.
resource "random_password" "kafka" {
  length  = 40
  special = false # ~238 bits from [A-Za-z0-9]; nothing to escape in JAAS configs or env vars
}

resource "aws_secretsmanager_secret" "kafka" {
  name                    = "AmazonMSK_${local.name}-kafka"
  description             = "Meridian ${var.region_name}: Kafka SASL/SCRAM credential (kafka-password) of the MSK cluster ${local.name}"
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = local.secret_recovery_days
  tags                    = local.tags

  #checkov:skip=CKV2_AWS_57:Rotating a SCRAM credential needs every client re-configured at once; it is rotated deliberately (replace random_password.kafka), not by a Lambda schedule.
}

resource "aws_secretsmanager_secret_version" "kafka" {
  secret_id = aws_secretsmanager_secret.kafka.id
  secret_string = jsonencode({
    username = local.kafka_username
    password = random_password.kafka.result
  })
}

# The policy MSK attaches itself on association; declared so Terraform does not report it as drift.
data "aws_iam_policy_document" "kafka_secret" {
  #checkov:skip=CKV_AWS_108:A resource policy on this one secret, letting only the MSK service read it (what MSK attaches itself): no identity gains access to other data.
  statement {
    sid       = "AWSKafkaResourcePolicy"
    actions   = ["secretsmanager:getSecretValue"]
    resources = [aws_secretsmanager_secret.kafka.arn]
    principals {
      type        = "Service"
      identifiers = ["kafka.amazonaws.com"]
    }
  }
}

resource "aws_secretsmanager_secret_policy" "kafka" {
  secret_arn          = aws_secretsmanager_secret.kafka.arn
  policy              = data.aws_iam_policy_document.kafka_secret.json
  block_public_policy = true
}

# dagster-postgresql-password: the password of PostgreSQL's `dagster` user (database.tf), as a plain string: it is
# the chart's meridian-dagster-postgresql Secret's `postgresql-password` key as is.
resource "random_password" "database" {
  length  = 40
  special = false # RDS forbids / @ " and space; Dagster builds a URL from it: alphanumerics need no escaping
}

resource "aws_secretsmanager_secret" "database" {
  name                    = "${local.name}/dagster-postgresql-password"
  description             = "Meridian ${var.region_name}: password of the dagster user of ${local.name}-dagster (PostgreSQL)"
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = local.secret_recovery_days
  tags                    = local.tags

  #checkov:skip=CKV2_AWS_57:Dagster reads the password once per pod start; a scheduled rotation would break it (database.tf explains the deliberate rotation).
}

resource "aws_secretsmanager_secret_version" "database" {
  secret_id     = aws_secretsmanager_secret.database.id
  secret_string = random_password.database.result
}

# Containers only: their values are written by the platform team (`meridian edge-key` for the edge's API keys;
# the platform secrets' Kafka SASL settings, alert webhooks and SMTP password), never by Terraform, so they are
# never in its state.
resource "aws_secretsmanager_secret" "edge_api_keys" {
  name                    = "${local.name}/edge-api-keys"
  description             = "Meridian ${var.region_name}: the edge collector's API keys (JSON list, MERIDIAN_EDGE_API_KEYS)"
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = local.secret_recovery_days
  tags                    = local.tags

  #checkov:skip=CKV2_AWS_57:API keys are issued and revoked per client with `meridian edge-key`, not rotated by a schedule.
}

resource "aws_secretsmanager_secret" "platform" {
  name                    = "${local.name}/platform"
  description             = "Meridian ${var.region_name}: MERIDIAN_* secrets of Dagster's code location and runs (Kafka SASL, alert webhooks, SMTP)"
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = local.secret_recovery_days
  tags                    = local.tags

  #checkov:skip=CKV2_AWS_57:Holds third-party credentials (webhooks, SMTP) whose rotation happens at the third party, by hand.
}

locals {
  # README: secret name -> the cloud secret's ID (Secrets Manager ARN).
  secret_arns = {
    "kafka-password"              = aws_secretsmanager_secret.kafka.arn
    "dagster-postgresql-password" = aws_secretsmanager_secret.database.arn
    "edge-api-keys"               = aws_secretsmanager_secret.edge_api_keys.arn
    "platform"                    = aws_secretsmanager_secret.platform.arn
  }
}
