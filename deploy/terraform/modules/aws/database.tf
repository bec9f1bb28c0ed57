# Dagster's instance database (runs, events, schedules): RDS for PostgreSQL 16 in the data subnets, private only,
# TLS required, encrypted with the region's CMK, Multi-AZ when var.database_high_availability.
#
# The password: a random_password stored in the dagster-postgresql-password secret (secrets.tf), rather than
# manage_master_user_password. RDS-managed secrets rotate on a schedule (weekly by default) and Dagster's pods read
# the password once, at start, from a Kubernetes Secret: every rotation would break new connections until the
# secret is re-synced and the pods restarted. The cost: the password is in Terraform's state, which must be
# encrypted and access-controlled like the secret itself. Rotate deliberately with
# `terraform apply -replace=random_password.database`, then restart Dagster.

resource "aws_db_subnet_group" "this" {
  name        = "${local.name}-dagster"
  description = "Data subnets of ${local.name} (private, no internet route)"
  subnet_ids  = aws_subnet.data[*].id
  tags        = local.tags
}

resource "aws_security_group" "database" {
  name        = "${local.name}-dagster-db"
  description = "Dagster PostgreSQL of ${local.name}: 5432 from the node subnets"
  vpc_id      = aws_vpc.this.id
  tags        = merge(local.tags, { Name = "${local.name}-dagster-db" })
}

resource "aws_vpc_security_group_ingress_rule" "database" {
  for_each = toset(local.private_subnet_cidrs)

  security_group_id = aws_security_group.database.id
  description       = "PostgreSQL from node subnet ${each.value}"
  ip_protocol       = "tcp"
  from_port         = local.database_port
  to_port           = local.database_port
  cidr_ipv4         = each.value
  tags              = local.tags
}

resource "aws_db_parameter_group" "this" {
  # A prefix, not a name: a new family (a major upgrade) creates the new group before the old one goes.
  name_prefix = "${local.name}-dagster-pg16-"
  family      = "postgres16"
  description = "Dagster PostgreSQL of ${local.name}: TLS only, DDL and slow-query logging"

  # Refuse any connection without TLS (the chart connects with sslmode=require).
  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }
  # Schema changes (Dagster migrations) and statements slower than 1 s go to the postgresql log (CloudWatch):
  # enough to audit and tune without logging every event write.
  parameter {
    name  = "log_statement"
    value = "ddl"
  }
  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }

  tags = local.tags

  lifecycle {
    create_before_destroy = true
  }
}

# Created before the instance so RDS does not create them unencrypted and kept forever.
resource "aws_cloudwatch_log_group" "database" {
  for_each = toset(["postgresql", "upgrade"])

  name              = "/aws/rds/instance/${local.name}-dagster/${each.value}"
  retention_in_days = 365
  kms_key_id        = aws_kms_key.this.arn
  tags              = local.tags
}

data "aws_iam_policy_document" "database_monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "database_monitoring" {
  name               = "${local.name}-rds-monitoring"
  assume_role_policy = data.aws_iam_policy_document.database_monitoring_assume.json
  tags               = local.tags
}

resource "aws_iam_role_policy_attachment" "database_monitoring" {
  role       = aws_iam_role.database_monitoring.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

resource "aws_db_instance" "this" {
  identifier     = "${local.name}-dagster"
  engine         = "postgres"
  engine_version = "16" # the major version: RDS picks the current minor, auto_minor_version_upgrade keeps it patched
  instance_class = local.database.instance_class

  allocated_storage     = local.database.allocated_storage
  max_allocated_storage = local.database.max_allocated_storage
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.this.arn

  db_name  = local.database_name
  username = local.database_user
  password = random_password.database.result
  port     = local.database_port
  # IAM database authentication on (no cost) so operators can connect with short-lived tokens instead of the
  # password; no workload is granted rds-db:connect.
  iam_database_authentication_enabled = true

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.database.id]
  parameter_group_name   = aws_db_parameter_group.this.name
  publicly_accessible    = false
  multi_az               = var.database_high_availability

  backup_retention_period   = var.database_backup_retention_days
  backup_window             = "02:00-03:00"
  maintenance_window        = "sun:03:30-sun:04:30"
  copy_tags_to_snapshot     = true
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = !var.deletion_protection
  final_snapshot_identifier = "${local.name}-dagster-final"
  # With protection on, automated backups outlive an instance deleted anyway (point-in-time restore stays possible).
  delete_automated_backups = !var.deletion_protection

  auto_minor_version_upgrade  = true
  allow_major_version_upgrade = false
  apply_immediately           = false

  enabled_cloudwatch_logs_exports       = ["postgresql", "upgrade"]
  monitoring_interval                   = 60
  monitoring_role_arn                   = aws_iam_role.database_monitoring.arn
  performance_insights_enabled          = true
  performance_insights_kms_key_id       = aws_kms_key.this.arn
  performance_insights_retention_period = 7 # the free tier

  tags = local.tags

  depends_on = [aws_cloudwatch_log_group.database, aws_iam_role_policy_attachment.database_monitoring]
}
