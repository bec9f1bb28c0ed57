# Names, the address plan, the small/medium/large maps and the labels: every choice a region's inputs turn into.
locals {
  # "meridian-us": prefixes every resource; bucket names are global, hence name_prefix.
  name = "${var.name_prefix}-${var.region_name}"

  # Labels on every resource that takes them: ours first so var.labels can override a value, never drop a key.
  labels = merge(
    {
      app             = "meridian"
      meridian-region = var.region_name
      managed-by      = "terraform"
    },
    var.labels,
  )

  # The provider-wide deletion guard on the data (lake, warehouse, Kafka): PREVENT makes terraform refuse to destroy.
  deletion_policy = var.deletion_protection ? "PREVENT" : "DELETE"

  # ---------------------------------------------------------------------------------------------------------------
  # Address plan, carved from the first /16 of network_cidr (network_cidr may be larger; the rest stays free for
  # later subnets). Fixed offsets keep every region's layout identical, so a route table reads the same everywhere:
  #   x.y.0.0/20    nodes (and the Kafka cluster's Private Service Connect addresses)
  #   x.y.16.0/20   Kubernetes Services
  #   x.y.32.0/28   GKE control plane (private endpoint)
  #   x.y.48.0/20   Private Service Access (Cloud SQL)
  #   x.y.128.0/17  Pods (a /24 per node at 110 pods: 128 nodes)
  network_prefix = tonumber(split("/", var.network_cidr)[1])
  base_cidr      = cidrsubnet(var.network_cidr, 16 - local.network_prefix, 0)
  cidrs = {
    nodes            = cidrsubnet(local.base_cidr, 4, 0)
    services         = cidrsubnet(local.base_cidr, 4, 1)
    control_plane    = cidrsubnet(local.base_cidr, 12, 512)
    private_services = cidrsubnet(local.base_cidr, 4, 3)
    pods             = cidrsubnet(local.base_cidr, 1, 1)
  }
  # Who may reach the private API endpoint: the region's network first, then var.control_plane_authorized_cidrs.
  control_plane_cidrs = distinct(concat([var.network_cidr], var.control_plane_authorized_cidrs))

  secondary_ranges = {
    pods     = "pods"
    services = "services"
  }

  # ---------------------------------------------------------------------------------------------------------------
  # Kafka: Managed Service for Apache Kafka is sized in vCPUs (minimum 3) and 1-8 GiB per vCPU. Sized with Google's
  # plan-cluster-size method: write-equivalent = in x 3 replicas + (4 consumer groups x in + in x 2 follower
  # fetches) / 4 (the stream service, Dagster and two peer regions' MirrorMakers read every byte), i.e. 4.5 x in,
  # at an ASSUMED ~15 MiB/s of write-equivalent per vCPU at the target utilisation (Google publishes the method, not
  # a per-vCPU figure: watch the CPU metric). vcpu_count and memory_bytes change in place, so this is a start.
  kafka_sizes = {
    small  = { vcpus = 6 }  # ~20 MiB/s in
    medium = { vcpus = 18 } # ~60 MiB/s in
    large  = { vcpus = 45 } # ~150 MiB/s in
  }
  kafka_memory_gib_per_vcpu = 4 # page cache for consumers that fall behind (MirrorMaker after a partition)
  kafka_vcpus               = local.kafka_sizes[var.kafka_size].vcpus
  kafka_memory_bytes        = local.kafka_vcpus * local.kafka_memory_gib_per_vcpu * 1024 * 1024 * 1024

  # The events topic of deploy/helm/meridian (kafka.eventsTopic); 12 partitions as in the eu/us values files. The
  # partition count caps the stream service's replicas and can only grow.
  events_topic = {
    name               = "events.raw.v1"
    partitions         = 12
    replication_factor = 3
  }

  # ---------------------------------------------------------------------------------------------------------------
  # Dagster's PostgreSQL. Enterprise edition with custom tiers: Enterprise Plus (the API's default for POSTGRES_16)
  # only takes db-perf-optimized tiers at about twice the price, which an instance database does not need. The
  # trade-off: Enterprise keeps at most 7 days of transaction logs, so point-in-time recovery covers the last
  # min(7, retention) days and daily backups cover the rest of database_backup_retention_days.
  database_sizes = {
    small  = { tier = "db-custom-2-7680", disk_gb = 20 }
    medium = { tier = "db-custom-4-15360", disk_gb = 50 }
    large  = { tier = "db-custom-8-30720", disk_gb = 100 }
  }
  database_size               = local.database_sizes[var.database_size]
  database_log_retention_days = min(7, var.database_backup_retention_days)

  # ---------------------------------------------------------------------------------------------------------------
  # Node pools. Machine types when the input leaves them null: e2 (cheapest general purpose, spot-capable);
  # batch runs (bronze landing, dbt, quality) get twice the services' size.
  node_pools = {
    services = {
      min_nodes       = var.services_pool.min_nodes
      max_nodes       = var.services_pool.max_nodes
      machine_type    = coalesce(var.services_pool.machine_type, "e2-standard-4")
      spot            = false
      location_policy = "BALANCED" # spread the always-on services across zones
      taints          = []
    }
    batch = {
      min_nodes       = var.batch_pool.min_nodes
      max_nodes       = var.batch_pool.max_nodes
      machine_type    = coalesce(var.batch_pool.machine_type, "e2-standard-8")
      spot            = var.batch_pool.spot
      location_policy = "ANY" # take spot capacity wherever it is (fewer preemptions); runs retry anyway
      taints = [{
        key    = "meridian.io/batch"
        value  = "true"
        effect = "NO_SCHEDULE"
      }]
    }
  }

  # ---------------------------------------------------------------------------------------------------------------
  # Workloads: the Kubernetes ServiceAccount meridian-<workload> in var.kubernetes_namespace impersonates one Google
  # service account each. `short` keeps account IDs within GCP's 30 characters.
  workloads = {
    dagster     = { short = "dagster", description = "Dagster user code and runs: reads and writes the lake and warehouse, consumes Kafka." }
    edge        = { short = "edge", description = "Edge collector: produces to Kafka." }
    stream      = { short = "stream", description = "Stream service: consumes Kafka." }
    mirrormaker = { short = "mirror", description = "MirrorMaker 2: reads and writes Kafka." }
    exporter    = { short = "exporter", description = "Lake exporter: reads the lake." }
  }
  workload_pool = "${var.project}.svc.id.goog"
  # Account IDs are 6-30 characters: the prefix part is cut to 21 so "-exporter" always fits.
  sa_prefix = trimsuffix(substr(local.name, 0, 21), "-")

  # Who talks to Kafka (roles/managedkafka.client: Managed Kafka has no narrower IAM scope than the project).
  kafka_clients = ["dagster", "edge", "stream", "mirrormaker"]

  # ---------------------------------------------------------------------------------------------------------------
  # Secret Manager containers (values are set outside Terraform, except the database password generated here) and
  # which workloads read each. Dagster's copy of the Kafka credentials lives in `platform` (envFrom
  # meridian-platform); the exporter reads Dagster's instance database (its MERIDIAN_DAGSTER_POSTGRES_URL).
  secrets = {
    kafka-password = {
      readers     = ["edge", "stream", "mirrormaker"]
      description = "SASL/PLAIN password of the Kafka principal: the base64 of a key of the kafka service account, created and rotated outside Terraform."
    }
    dagster-postgresql-password = {
      readers     = ["dagster", "exporter"]
      description = "Password of the dagster user of the instance database (generated by Terraform)."
    }
    edge-api-keys = {
      readers     = ["edge"]
      description = "The edge collector's API key entries, a JSON list (meridian edge-key)."
    }
    platform = {
      readers     = ["dagster"]
      description = "MERIDIAN_* secrets of Dagster's code location and runs (Kafka SASL credentials, alert webhooks, SMTP)."
    }
  }
  secret_readers = merge([
    for secret, spec in local.secrets : {
      for workload in spec.readers : "${secret}/${workload}" => { secret = secret, workload = workload }
    }
  ]...)

  # ---------------------------------------------------------------------------------------------------------------
  # BigQuery datasets. `main` is the dbt target (MERIDIAN_BQ_DATASET, the warehouse_dataset output); dbt writes
  # its layers to datasets named by dbt_project.yml (+schema: silver, gold; macros/generate_schema_name.sql uses
  # them verbatim) and bronze lands in MERIDIAN_BQ_RAW_DATASET (default raw). Creating them here keeps every one
  # CMEK-encrypted and deletion-guarded, and spares Dagster project-wide dataset creation. The fixed names mean one
  # region per project.
  warehouse_datasets = {
    main   = replace(local.name, "-", "_")
    raw    = "raw"
    silver = "silver"
    gold   = "gold"
  }

  # Cloud KMS keys, one per data store so one can be revoked or audited without the others.
  kms_keys = {
    lake       = "Lake bucket and its access-log bucket (Cloud Storage service agent)."
    warehouse  = "BigQuery datasets (BigQuery service agent)."
    kubernetes = "GKE application-layer Secrets encryption and node boot disks."
  }
  # 90 days: the longest rotation CIS and checkov accept; old versions stay to decrypt old data.
  kms_rotation_period = "7776000s"

  # APIs the module's resources need. Enabled, never disabled on destroy (other stacks may share the project).
  project_services = [
    "bigquery.googleapis.com",
    "binaryauthorization.googleapis.com",
    "cloudkms.googleapis.com",
    "compute.googleapis.com",
    "container.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "managedkafka.googleapis.com",
    "secretmanager.googleapis.com",
    "servicenetworking.googleapis.com",
    "sqladmin.googleapis.com",
    "storage.googleapis.com",
  ]
}

# A suffix for the names GCP keeps after deletion (a key ring is never deleted; a Cloud SQL instance name is held
# for a week): a torn-down test region can then be applied again at once. Stable once in state.
resource "random_id" "suffix" {
  byte_length = 3
}
