# Kafka: Google Cloud Managed Service for Apache Kafka, reachable in the region's subnet through Private Service
# Connect (addresses and DNS are created in the nodes subnet). TLS only; clients authenticate as a Google principal
# over SASL/PLAIN (see kafka_sasl_mechanism in outputs.tf) and need roles/managedkafka.client (identity.tf).
#
# No Kafka ACLs here on purpose: once a topic has an ACL, principals it does not list lose access, and the peer
# regions' MirrorMakers (principals of other projects, unknown to this module) read events.raw.v1 here. The global
# stack, which knows every region's principals, is the place for google_managed_kafka_acl.
#
# Encryption at rest is Google-managed: CMEK needs the Managed Kafka service agent, see encryption.tf.
resource "google_managed_kafka_cluster" "this" {
  project    = var.project
  cluster_id = "${local.name}-kafka"
  location   = var.location

  capacity_config {
    vcpu_count   = local.kafka_vcpus
    memory_bytes = local.kafka_memory_bytes
  }

  gcp_config {
    access_config {
      network_configs {
        subnet = google_compute_subnetwork.nodes.id
      }
    }
  }

  # New brokers take partitions as soon as the cluster grows (kafka_size up), instead of idling until a manual
  # reassignment.
  rebalance_config {
    mode = "AUTO_REBALANCE_ON_SCALE_UP"
  }

  deletion_policy = local.deletion_policy
  labels          = local.labels

  depends_on = [google_project_service.this]
}

# The chart's events topic. Created here so its partition count and durability are reviewed like the rest; the
# MirrorMaker topics of the peer regions are created by MirrorMaker.
resource "google_managed_kafka_topic" "events" {
  project            = var.project
  cluster            = google_managed_kafka_cluster.this.cluster_id
  location           = var.location
  topic_id           = local.events_topic.name
  partition_count    = local.events_topic.partitions
  replication_factor = local.events_topic.replication_factor

  configs = {
    # With acks=all a write needs two in-sync replicas: one broker may be down, no acknowledged event is lost.
    "min.insync.replicas" = "2"
    "cleanup.policy"      = "delete"
  }

  deletion_policy = local.deletion_policy
}

locals {
  # Managed Kafka's bootstrap address follows a fixed DNS pattern (the provider exports no attribute for it):
  # bootstrap.<cluster>.<region>.managedkafka.<project>.cloud.goog, port 9092, resolvable inside the VPC.
  kafka_bootstrap_servers = "bootstrap.${google_managed_kafka_cluster.this.cluster_id}.${var.location}.managedkafka.${var.project}.cloud.goog:9092"
}
