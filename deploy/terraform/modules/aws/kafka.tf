# The region's Kafka: Amazon MSK provisioned, 3 brokers (one per zone) in the data subnets. The edge produces,
# the stream service, MirrorMaker 2 and Dagster consume.
#
# Client authentication: SASL/SCRAM-SHA-512 (what the charts' kafka-python and MirrorMaker clients speak; the
# interface's kafka_sasl_mechanism), over TLS only; no unauthenticated or plaintext listener. IAM auth is enabled
# too (port 9098): it costs nothing, and clients that can sign with their IRSA role (Java MirrorMaker with
# aws-msk-iam-auth) are then authorised per workload by identity.tf's kafka-cluster policies instead of a shared
# password. SCRAM principals are governed by Kafka ACLs, of which there are none yet: with
# allow.everyone.if.no.acl.found (MSK's default) any *authenticated* SCRAM user may act.
#
# Deletion protection: MSK has none, and `prevent_destroy` cannot follow a variable. Kafka is the buffer, not the
# ledger (the lake is): a destroyed cluster loses at most the records not yet landed in bronze.

resource "aws_security_group" "kafka" {
  name        = "${local.name}-kafka"
  description = "MSK brokers of ${local.name}: SASL/SCRAM and IAM over TLS from the node subnets"
  vpc_id      = aws_vpc.this.id
  tags        = merge(local.tags, { Name = "${local.name}-kafka" })
}

# 9096: SASL/SCRAM over TLS; 9098: IAM over TLS. From the node subnets only (pods have VPC addresses there); the
# global stack adds the peered regions' CIDRs for MirrorMaker.
resource "aws_vpc_security_group_ingress_rule" "kafka" {
  for_each = {
    for pair in setproduct(local.private_subnet_cidrs, [9096, 9098]) : "${pair[0]}:${pair[1]}" => {
      cidr = pair[0]
      port = pair[1]
    }
  }

  security_group_id = aws_security_group.kafka.id
  description       = "Kafka clients (port ${each.value.port}) from node subnet ${each.value.cidr}"
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = each.value.cidr
  tags              = local.tags
}

resource "aws_msk_configuration" "this" {
  name           = "${local.name}-kafka"
  description    = "Meridian ${var.region_name} brokers"
  kafka_versions = [local.kafka_version]

  # Durability over availability: an acknowledged record is on 2 of 3 zones, and no out-of-sync replica may
  # become leader. Topics are created by the applications (named, sized), not by a typo in a producer.
  server_properties = <<-PROPERTIES
    auto.create.topics.enable = false
    default.replication.factor = 3
    min.insync.replicas = 2
    unclean.leader.election.enable = false
    num.partitions = 6
  PROPERTIES
}

resource "aws_cloudwatch_log_group" "kafka" {
  name              = "/aws/msk/${local.name}"
  retention_in_days = 365
  kms_key_id        = aws_kms_key.this.arn
  tags              = local.tags
}

resource "aws_msk_cluster" "this" {
  cluster_name           = local.name
  kafka_version          = local.kafka_version
  number_of_broker_nodes = 3

  broker_node_group_info {
    instance_type   = local.kafka.instance_type
    client_subnets  = aws_subnet.data[*].id
    security_groups = [aws_security_group.kafka.id]

    storage_info {
      ebs_storage_info {
        volume_size = local.kafka.volume_size
      }
    }

    connectivity_info {
      public_access {
        type = "DISABLED"
      }
    }
  }

  client_authentication {
    unauthenticated = false
    sasl {
      scram = true
      iam   = true
    }
  }

  configuration_info {
    arn      = aws_msk_configuration.this.arn
    revision = aws_msk_configuration.this.latest_revision
  }

  encryption_info {
    encryption_at_rest_kms_key_arn = aws_kms_key.this.arn
    encryption_in_transit {
      client_broker = "TLS"
      in_cluster    = true
    }
  }

  # Per-topic, per-broker metrics (bytes in/out per topic) for capacity planning against kafka_size; consumer lag
  # is read from Kafka itself (KEDA, the exporter).
  enhanced_monitoring = "PER_TOPIC_PER_BROKER"

  open_monitoring {
    prometheus {
      jmx_exporter {
        enabled_in_broker = true
      }
      node_exporter {
        enabled_in_broker = true
      }
    }
  }

  logging_info {
    broker_logs {
      cloudwatch_logs {
        enabled   = true
        log_group = aws_cloudwatch_log_group.kafka.name
      }
    }
  }

  tags = local.tags
}

# The SCRAM credential (secrets.tf, "kafka-password"), bound to the cluster.
resource "aws_msk_scram_secret_association" "this" {
  cluster_arn     = aws_msk_cluster.this.arn
  secret_arn_list = [aws_secretsmanager_secret.kafka.arn]

  depends_on = [aws_secretsmanager_secret_version.kafka, aws_secretsmanager_secret_policy.kafka]
}
