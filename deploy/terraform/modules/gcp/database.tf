# Dagster's instance database (runs, event logs, schedules): Cloud SQL for PostgreSQL 16, private IP only through
# Private Service Access, TLS required, a standby in a second zone when database_high_availability, daily backups
# plus point-in-time recovery.
resource "google_sql_database_instance" "dagster" {
  #checkov:skip=CKV_GCP_79:PostgreSQL 16 is the version Meridian's Dagster instance is run and tested on; a major upgrade is a deliberate in-place upgrade, not a default.
  #checkov:skip=CKV_GCP_6:ssl_mode is ENCRYPTED_ONLY, so every connection is TLS; TRUSTED_CLIENT_CERTIFICATE_REQUIRED would need client certificates (or the Cloud SQL Auth Proxy) that the Dagster chart's direct sslmode=require connection does not present.
  #checkov:skip=CKV2_GCP_13:log_duration logs one line per statement; Dagster writes its event log at a high rate, so the cost is real and Query Insights (insights_config) already records latency per query.
  project = var.project
  # The suffix: a deleted instance's name is held for a week, which would block re-creating a test region.
  name             = "${local.name}-dagster-${random_id.suffix.hex}"
  region           = var.location
  database_version = "POSTGRES_16"

  deletion_protection = var.deletion_protection # terraform refuses to destroy it

  settings {
    tier              = local.database_size.tier
    edition           = "ENTERPRISE" # see locals.tf: custom tiers, 7 days of transaction logs
    availability_type = var.database_high_availability ? "REGIONAL" : "ZONAL"

    disk_type       = "PD_SSD"
    disk_size       = local.database_size.disk_gb
    disk_autoresize = true

    # The API refuses to delete it too (console, gcloud), not only terraform.
    deletion_protection_enabled = var.deletion_protection

    user_labels = local.labels

    ip_configuration {
      ipv4_enabled       = false # no public IP at all
      private_network    = google_compute_network.this.id
      allocated_ip_range = google_compute_global_address.private_services.name
      ssl_mode           = "ENCRYPTED_ONLY"
    }

    backup_configuration {
      enabled                        = true
      start_time                     = "02:00" # UTC, before the maintenance window
      point_in_time_recovery_enabled = true
      transaction_log_retention_days = local.database_log_retention_days
      backup_retention_settings {
        retained_backups = var.database_backup_retention_days # one backup a day: days of backups
        retention_unit   = "COUNT"
      }
    }

    maintenance_window {
      day          = 7 # Sunday
      hour         = 3
      update_track = "stable"
    }

    insights_config {
      query_insights_enabled  = true
      record_application_tags = false
      record_client_address   = false
    }

    # Connection and lock logging for audits and incident review; statement logging limited to DDL (Dagster's
    # queries carry run metadata, not secrets, but their volume is high).
    database_flags {
      name  = "log_checkpoints"
      value = "on"
    }
    database_flags {
      name  = "log_connections"
      value = "on"
    }
    database_flags {
      name  = "log_disconnections"
      value = "on"
    }
    database_flags {
      name  = "log_lock_waits"
      value = "on"
    }
    database_flags {
      name  = "log_hostname"
      value = "on"
    }
    database_flags {
      name  = "log_min_messages"
      value = "warning"
    }
    database_flags {
      name  = "log_min_error_statement"
      value = "error"
    }
    database_flags {
      name  = "log_min_duration_statement"
      value = "-1"
    }
    database_flags {
      name  = "log_temp_files"
      value = "0"
    }
    database_flags {
      name  = "log_statement"
      value = "ddl"
    }
    database_flags {
      name  = "log_executor_stats"
      value = "off"
    }
    database_flags {
      name  = "log_parser_stats"
      value = "off"
    }
    database_flags {
      name  = "log_planner_stats"
      value = "off"
    }
    database_flags {
      name  = "log_statement_stats"
      value = "off"
    }
    database_flags {
      name  = "cloudsql.enable_pgaudit"
      value = "on"
    }
    database_flags {
      name  = "pgaudit.log"
      value = "role,ddl" # privilege and schema changes, not every read and write
    }
  }

  lifecycle {
    # disk_autoresize grows the disk; a disk_size below the grown size would make terraform recreate the instance.
    ignore_changes = [settings[0].disk_size]
  }

  depends_on = [google_service_networking_connection.private_services, google_project_service.this]
}

resource "google_sql_database" "dagster" {
  project  = var.project
  name     = "dagster"
  instance = google_sql_database_instance.dagster.name
  # The instance (deletion-protected) is what holds the data; dropping the database first fails while Dagster is
  # connected, so a teardown leaves it to the instance's deletion.
  deletion_policy = "ABANDON"
}

# The only generated secret: Cloud SQL needs a password for a built-in PostgreSQL user. It is in the state (keep the
# state bucket encrypted and access-controlled) and in Secret Manager, where the workloads read it. URL-safe
# characters only: the exporter embeds it in a postgresql:// URL.
resource "random_password" "dagster" {
  length           = 40
  special          = true
  override_special = "-_.~"
  min_lower        = 4
  min_upper        = 4
  min_numeric      = 4
}

resource "google_sql_user" "dagster" {
  project  = var.project
  name     = "dagster"
  instance = google_sql_database_instance.dagster.name
  password = random_password.dagster.result
  # PostgreSQL refuses to drop a role that owns objects; the instance's deletion removes it anyway.
  deletion_policy = "ABANDON"
}

resource "google_secret_manager_secret_version" "dagster_postgresql_password" {
  secret      = google_secret_manager_secret.this["dagster-postgresql-password"].id
  secret_data = random_password.dagster.result
}
