# Names, size maps and tags. Everything is named "<name_prefix>-<region_name>" (e.g. meridian-us) so two Meridian
# regions can share an AWS account, and one region's resources are found by prefix.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

# The region's zones, sorted by name; the first three carry everything (local.azs). No `state` filter: a zone
# briefly impaired must not drop out of the list and shift every subnet to another zone on the next plan.
data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:Zone names cannot be pinned generically (each region and account has its own letters, e.g. no 1b in ap-northeast-1 for new accounts); the module takes the first three names, and a new zone gets a later letter, so the slice does not move.
  # Only the region's own zones: Local Zones and Wavelength Zones lack MSK, RDS Multi-AZ and EKS control planes.
  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

locals {
  name       = "${var.name_prefix}-${var.region_name}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  # The provider's region, checked equal to var.location in network.tf (the account and region come from the
  # provider on AWS; the module cannot create resources elsewhere, so a mismatch is an error, not a silent move).
  region = data.aws_region.current.region

  # Three zones: MSK wants its broker count to be a multiple of the subnets, and 3 brokers over 3 zones survive
  # the loss of one with min.insync.replicas = 2.
  azs = slice(data.aws_availability_zones.available.names, 0, 3)

  # `project` has no meaning of its own on AWS (the account comes from the provider): it becomes a tag, with the
  # region, on every resource. var.labels come first so the module's own keys cannot be overridden by accident.
  tags = merge(var.labels, {
    "project"          = var.project
    "meridian-region"  = var.region_name
    "managed-by"       = "terraform"
    "meridian-cluster" = local.name
  })

  # kafka_size -> MSK provisioned brokers (3, one per zone; replication factor 3). Each broker receives every byte
  # produced (as leader or follower), so the broker type tracks the region's ingress: m7g.large for ~20 MiB/s,
  # xlarge ~60, 2xlarge ~150, with headroom for MirrorMaker's inbound copies and consumers' fan-out. Rough sizing
  # from AWS's per-broker guidance: confirm with a load test before a region goes live. With replication factor 3
  # on 3 brokers each broker stores everything, so volume_size holds ~14 h at the size's full rate (days at typical
  # rates): Kafka is the buffer, the lake the ledger. Storage autoscaling is left out (volumes only ever grow).
  kafka_sizes = {
    small  = { instance_type = "kafka.m7g.large", volume_size = 1000 }
    medium = { instance_type = "kafka.m7g.xlarge", volume_size = 3000 }
    large  = { instance_type = "kafka.m7g.2xlarge", volume_size = 8000 }
  }
  kafka = local.kafka_sizes[var.kafka_size]
  # 3.8.x is the version AWS marks "Recommended" for new MSK clusters (ZooKeeper-managed; SCRAM and IAM auth).
  kafka_version = "3.8.x"

  # database_size -> RDS PostgreSQL instance classes. Dagster's instance database is small but latency-bound
  # (run/event writes): Graviton general purpose above "small"; gp3 storage grows up to max_allocated_storage.
  database_sizes = {
    small  = { instance_class = "db.t4g.medium", allocated_storage = 50, max_allocated_storage = 200 }
    medium = { instance_class = "db.m7g.large", allocated_storage = 100, max_allocated_storage = 500 }
    large  = { instance_class = "db.m7g.xlarge", allocated_storage = 200, max_allocated_storage = 1000 }
  }
  database = local.database_sizes[var.database_size]

  # Node pools. x86 by default: Meridian's images are not promised to be multi-arch. The batch pool lists several
  # equivalent types when it runs on Spot: a diversified request is interrupted less and fills faster.
  node_pools = {
    services = {
      capacity_type  = "ON_DEMAND"
      instance_types = var.services_pool.machine_type != null ? [var.services_pool.machine_type] : ["m7i.xlarge"]
      min_size       = var.services_pool.min_nodes
      max_size       = var.services_pool.max_nodes
      disk_size      = 50
      labels         = { "meridian.io/pool" = "services" }
      taints         = []
    }
    batch = {
      capacity_type = var.batch_pool.spot ? "SPOT" : "ON_DEMAND"
      instance_types = var.batch_pool.machine_type != null ? [var.batch_pool.machine_type] : (
        var.batch_pool.spot ? ["m7i.2xlarge", "m6i.2xlarge", "m6a.2xlarge", "m5.2xlarge"] : ["m7i.2xlarge"]
      )
      min_size  = var.batch_pool.min_nodes
      max_size  = var.batch_pool.max_nodes
      disk_size = 100
      labels    = { "meridian.io/pool" = "batch" }
      # Only Dagster's run pods tolerate it (deploy/helm/dagster).
      taints = [{ key = "meridian.io/batch", value = "true", effect = "NO_SCHEDULE" }]
    }
  }

  # Workloads (README "Least privilege per workload") and the Kubernetes ServiceAccount each is bound to.
  workloads = toset(["dagster", "edge", "stream", "mirrormaker", "exporter"])
  service_accounts = {
    for w in local.workloads : w => "system:serviceaccount:${var.kubernetes_namespace}:meridian-${w}"
  }
  # kube-system add-ons with IRSA roles of their own (identity.tf), by role name suffix; not workloads of the
  # interface, so they read no secrets and no data.
  addon_service_accounts = {
    "ebs-csi"            = "system:serviceaccount:kube-system:ebs-csi-controller-sa"
    "cluster-autoscaler" = "system:serviceaccount:kube-system:cluster-autoscaler"
  }

  database_name = "dagster"
  database_user = "dagster"
  database_port = 5432

  # The single SCRAM user of the region's Kafka (the interface has one kafka-password secret).
  kafka_username = "meridian"
}
