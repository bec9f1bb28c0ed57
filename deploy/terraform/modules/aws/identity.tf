# Workload identities: one IAM role per workload, assumable only by its Kubernetes ServiceAccount
# (system:serviceaccount:<namespace>:meridian-<workload>) through the cluster's OIDC provider (IRSA). Each role has
# one inline policy holding exactly what the README grants it:
#   dagster      reads and writes the lake, the Glue database and Athena workgroup; consumes Kafka
#   edge         produces to Kafka (the events topic)
#   stream       consumes Kafka (the events topics, its own consumer group)
#   mirrormaker  reads and writes Kafka (mirrored topics, MirrorMaker's internal topics and groups)
#   exporter     reads the lake
# and each reads only its own secrets. The kafka-cluster actions apply to IAM-authenticated connections (port
# 9098); SCRAM connections are governed by Kafka ACLs (kafka.tf).

locals {
  lake_arn      = aws_s3_bucket.lake.arn
  kafka_cluster = "${aws_msk_cluster.this.cluster_name}/${aws_msk_cluster.this.cluster_uuid}"
  kafka_arn     = "arn:${local.partition}:kafka:${local.region}:${local.account_id}"
  kafka_topics  = "${local.kafka_arn}:topic/${local.kafka_cluster}"
  kafka_groups  = "${local.kafka_arn}:group/${local.kafka_cluster}"
  # The region's events topic (events.raw.v1 and later versions) and the other regions' copies MirrorMaker makes
  # of it (<source>.events.raw.v1).
  events_topics = ["${local.kafka_topics}/events.*", "${local.kafka_topics}/*.events.*"]

  lake_read = [
    { sid = "LakeList", actions = ["s3:ListBucket", "s3:GetBucketLocation"], resources = [local.lake_arn] },
    { sid = "LakeRead", actions = ["s3:GetObject", "s3:GetObjectVersion"], resources = ["${local.lake_arn}/*"] },
  ]
  lake_write = [
    { sid = "LakeListUploads", actions = ["s3:ListBucketMultipartUploads"], resources = [local.lake_arn] },
    {
      sid       = "LakeWrite"
      actions   = ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
      resources = ["${local.lake_arn}/*"]
    },
  ]
  warehouse = [
    {
      sid = "GlueCatalog"
      actions = [
        "glue:GetDatabase", "glue:GetDatabases",
        "glue:GetTable", "glue:GetTables", "glue:GetTableVersions",
        "glue:CreateTable", "glue:UpdateTable", "glue:DeleteTable", "glue:BatchDeleteTable",
        "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition",
        "glue:CreatePartition", "glue:BatchCreatePartition", "glue:UpdatePartition", "glue:BatchUpdatePartition",
        "glue:DeletePartition", "glue:BatchDeletePartition",
      ]
      resources = [
        "arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog",
        aws_glue_catalog_database.lake.arn,
        "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${aws_glue_catalog_database.lake.name}/*",
      ]
    },
    {
      sid = "AthenaWorkgroup"
      actions = [
        "athena:StartQueryExecution", "athena:StopQueryExecution", "athena:GetQueryExecution",
        "athena:BatchGetQueryExecution", "athena:GetQueryResults", "athena:ListQueryExecutions", "athena:GetWorkGroup",
      ]
      resources = [aws_athena_workgroup.this.arn]
    },
    {
      sid       = "AthenaCatalog"
      actions   = ["athena:GetDataCatalog"]
      resources = ["arn:${local.partition}:athena:${local.region}:${local.account_id}:datacatalog/AwsDataCatalog"]
    },
  ]
  kafka_connect = [
    { sid = "KafkaConnect", actions = ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"], resources = [aws_msk_cluster.this.arn] },
  ]
  kafka_consume_events = [
    { sid = "KafkaReadEvents", actions = ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"], resources = local.events_topics },
  ]

  workload_statements = {
    dagster = concat(local.lake_read, local.lake_write, local.warehouse, local.kafka_connect, local.kafka_consume_events, [
      { sid = "KafkaOwnGroups", actions = ["kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"], resources = ["${local.kafka_groups}/meridian-dagster*"] },
    ])
    edge = concat(local.kafka_connect, [
      { sid = "KafkaIdempotentProducer", actions = ["kafka-cluster:WriteDataIdempotently"], resources = [aws_msk_cluster.this.arn] },
      { sid = "KafkaWriteEvents", actions = ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"], resources = ["${local.kafka_topics}/events.*"] },
    ])
    stream = concat(local.kafka_connect, local.kafka_consume_events, [
      { sid = "KafkaOwnGroup", actions = ["kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"], resources = ["${local.kafka_groups}/meridian-stream*"] },
    ])
    mirrormaker = concat(local.kafka_connect, [
      {
        sid       = "KafkaMirrorCluster"
        actions   = ["kafka-cluster:WriteDataIdempotently", "kafka-cluster:DescribeClusterDynamicConfiguration"]
        resources = [aws_msk_cluster.this.arn]
      },
      {
        # MirrorMaker creates and configures the mirrored topics (sync.topic.configs) and its own internal ones
        # (heartbeats, checkpoints, offset-syncs, its config/offset/status storage): any topic of this cluster.
        sid = "KafkaMirrorTopics"
        actions = [
          "kafka-cluster:CreateTopic", "kafka-cluster:DescribeTopic", "kafka-cluster:AlterTopic",
          "kafka-cluster:DescribeTopicDynamicConfiguration", "kafka-cluster:AlterTopicDynamicConfiguration",
          "kafka-cluster:ReadData", "kafka-cluster:WriteData",
        ]
        resources = ["${local.kafka_topics}/*"]
      },
      # Its workers' group, and the translated offsets it writes for consumer groups (checkpoints).
      { sid = "KafkaMirrorGroups", actions = ["kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"], resources = ["${local.kafka_groups}/*"] },
    ])
    exporter = local.lake_read
  }

  # Each workload's own secrets (secrets.tf). The exporter reads Dagster's database (its PostgreSQL URL is built
  # from that password); Dagster's platform secret carries its Kafka SASL settings, hence kafka-password too.
  workload_secrets = {
    dagster     = ["dagster-postgresql-password", "platform", "kafka-password"]
    edge        = ["kafka-password", "edge-api-keys"]
    stream      = ["kafka-password"]
    mirrormaker = ["kafka-password"]
    exporter    = ["dagster-postgresql-password"]
  }

  # The CMK, only through the services that use it on the workload's behalf: S3 (lake objects, Athena results)
  # and Secrets Manager. Only writers generate data keys.
  workload_kms_actions = {
    dagster     = ["kms:Decrypt", "kms:GenerateDataKey"]
    edge        = ["kms:Decrypt"]
    stream      = ["kms:Decrypt"]
    mirrormaker = ["kms:Decrypt"]
    exporter    = ["kms:Decrypt"]
  }
}

# Who may assume each IRSA role: exactly one Kubernetes ServiceAccount, through the cluster's OIDC provider. One
# document per workload and per kube-system add-on (below), all of the same shape.
data "aws_iam_policy_document" "irsa_assume" {
  for_each = merge(local.service_accounts, local.addon_service_accounts)

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.cluster.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer_hostpath}:sub"
      values   = [each.value]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer_hostpath}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "workload" {
  for_each = local.workloads

  name                 = "${local.name}-${each.key}"
  description          = "Meridian ${var.region_name} ${each.key}: IRSA role of ${local.service_accounts[each.key]}"
  assume_role_policy   = data.aws_iam_policy_document.irsa_assume[each.key].json
  max_session_duration = 3600
  tags                 = merge(local.tags, { "meridian-workload" = each.key })
}

data "aws_iam_policy_document" "workload" {
  for_each = local.workloads

  dynamic "statement" {
    for_each = local.workload_statements[each.key]
    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }

  statement {
    sid       = "OwnSecrets"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [for s in local.workload_secrets[each.key] : local.secret_arns[s]]
  }

  statement {
    sid       = "RegionKeyThroughS3AndSecretsManager"
    actions   = local.workload_kms_actions[each.key]
    resources = [aws_kms_key.this.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com", "secretsmanager.${local.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "workload" {
  for_each = local.workloads

  name   = "meridian-${each.key}"
  role   = aws_iam_role.workload[each.key].id
  policy = data.aws_iam_policy_document.workload[each.key].json
}

# --- Cluster add-on identities (kube-system; not workloads of the interface) ----------------------------------------

# One role per add-on of local.addon_service_accounts: the EBS CSI controller (kubernetes.tf's add-on) with AWS's
# managed policy for it, and the cluster autoscaler (installed with the platform's add-ons as
# kube-system/cluster-autoscaler) with the inline policy below.
resource "aws_iam_role" "addon" {
  for_each = local.addon_service_accounts

  name               = "${local.name}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.irsa_assume[each.key].json
  tags               = local.tags
}

resource "aws_iam_role_policy_attachment" "ebs_csi" {
  role       = aws_iam_role.addon["ebs-csi"].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
}

# The cluster autoscaler may resize and shrink only this cluster's node groups (tag condition), and read what it
# needs to plan.
data "aws_iam_policy_document" "cluster_autoscaler" {
  statement {
    sid = "Discover"
    # Describe/Get calls that IAM cannot scope to a resource.
    actions = [
      "autoscaling:DescribeAutoScalingGroups",
      "autoscaling:DescribeAutoScalingInstances",
      "autoscaling:DescribeLaunchConfigurations",
      "autoscaling:DescribeScalingActivities",
      "autoscaling:DescribeTags",
      "ec2:DescribeImages",
      "ec2:DescribeInstanceTypes",
      "ec2:DescribeLaunchTemplateVersions",
      "ec2:GetInstanceTypesFromInstanceRequirements",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "ReadNodeGroups"
    actions   = ["eks:DescribeNodegroup"]
    resources = ["arn:${local.partition}:eks:${local.region}:${local.account_id}:nodegroup/${local.cluster_name}/*/*"]
  }

  statement {
    sid     = "ScaleOwnNodeGroups"
    actions = ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"]
    # EKS names a managed node group's Auto Scaling group eks-<node group name>-<id>.
    resources = ["arn:${local.partition}:autoscaling:${local.region}:${local.account_id}:autoScalingGroup:*:autoScalingGroupName/eks-${local.name}-*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/k8s.io/cluster-autoscaler/${local.cluster_name}"
      values   = ["owned"]
    }
  }
}

resource "aws_iam_role_policy" "cluster_autoscaler" {
  name   = "cluster-autoscaler"
  role   = aws_iam_role.addon["cluster-autoscaler"].id
  policy = data.aws_iam_policy_document.cluster_autoscaler.json
}
