# The region's EKS cluster: nodes in the private subnets only, the API server's endpoint private (reachable from
# the VPC and peered networks). A public endpoint exists only when var.control_plane_authorized_cidrs lists
# networks, and then only for those CIDRs; the same CIDRs may also reach the private endpoint (VPN, peering).

locals {
  cluster_name         = local.name
  public_endpoint      = length(var.control_plane_authorized_cidrs) > 0
  cluster_log_types    = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
  oidc_issuer          = aws_eks_cluster.this.identity[0].oidc[0].issuer
  oidc_issuer_hostpath = replace(local.oidc_issuer, "https://", "")
}

# --- Control plane -------------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "cluster_assume" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]
    principals {
      type        = "Service"
      identifiers = ["eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "cluster" {
  name               = "${local.name}-eks-cluster"
  assume_role_policy = data.aws_iam_policy_document.cluster_assume.json
  tags               = local.tags
}

resource "aws_iam_role_policy_attachment" "cluster" {
  role       = aws_iam_role.cluster.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonEKSClusterPolicy"
}

# Envelope encryption of Kubernetes Secrets with the region's CMK.
data "aws_iam_policy_document" "cluster_kms" {
  statement {
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"]
    resources = [aws_kms_key.this.arn]
  }
}

resource "aws_iam_role_policy" "cluster_kms" {
  name   = "secrets-encryption"
  role   = aws_iam_role.cluster.id
  policy = data.aws_iam_policy_document.cluster_kms.json
}

# Created before the cluster so EKS does not create it unencrypted and without retention.
resource "aws_cloudwatch_log_group" "cluster" {
  name              = "/aws/eks/${local.cluster_name}/cluster"
  retention_in_days = 365
  kms_key_id        = aws_kms_key.this.arn
  tags              = local.tags
}

# Extra security group of the control plane's network interfaces: lets var.control_plane_authorized_cidrs reach the
# private endpoint (443) over a VPN or peering. Nodes reach the control plane through the EKS-managed cluster
# security group, not this one.
resource "aws_security_group" "cluster_api" {
  name        = "${local.name}-eks-api"
  description = "Kubernetes API (private endpoint) from the authorized networks of ${local.name}"
  vpc_id      = aws_vpc.this.id
  tags        = merge(local.tags, { Name = "${local.name}-eks-api" })
}

resource "aws_vpc_security_group_ingress_rule" "cluster_api" {
  for_each = toset(var.control_plane_authorized_cidrs)

  security_group_id = aws_security_group.cluster_api.id
  description       = "Kubernetes API from authorized network ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
  tags              = local.tags
}

resource "aws_eks_cluster" "this" {
  name     = local.cluster_name
  role_arn = aws_iam_role.cluster.arn
  # null: the newest version EKS offers at creation; upgrades are then explicit (set the variable).
  version                   = var.kubernetes_version
  enabled_cluster_log_types = local.cluster_log_types
  # Not data, but the cluster runs the edge's buffers (PVCs) and Dagster: the same switch guards it from a stray
  # destroy (provider >= 6.9).
  deletion_protection = var.deletion_protection

  vpc_config {
    subnet_ids              = aws_subnet.private[*].id
    security_group_ids      = [aws_security_group.cluster_api.id]
    endpoint_private_access = true
    endpoint_public_access  = local.public_endpoint
    # Only read by EKS when the public endpoint is on; never 0.0.0.0/0 (EKS's default when this is omitted).
    public_access_cidrs = local.public_endpoint ? var.control_plane_authorized_cidrs : null
  }

  # Access entries (the EKS API) instead of the aws-auth ConfigMap: access is IAM-managed and auditable. The
  # identity that creates the cluster becomes its first admin, so the platform team can add the others.
  access_config {
    authentication_mode                         = "API"
    bootstrap_cluster_creator_admin_permissions = true
  }

  encryption_config {
    resources = ["secrets"]
    provider {
      key_arn = aws_kms_key.this.arn
    }
  }

  tags = local.tags

  depends_on = [
    aws_iam_role_policy_attachment.cluster,
    aws_iam_role_policy.cluster_kms,
    aws_cloudwatch_log_group.cluster,
  ]
}

# IRSA: the cluster's OIDC issuer as an IAM identity provider, trusted by identity.tf's roles. No thumbprint: IAM
# validates the EKS issuers' certificates against its own trusted CAs (thumbprint_list is optional in provider 6).
resource "aws_iam_openid_connect_provider" "cluster" {
  url            = local.oidc_issuer
  client_id_list = ["sts.amazonaws.com"]
  tags           = merge(local.tags, { Name = "${local.name}-eks-irsa" })
}

# --- Nodes ---------------------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "node_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "node" {
  name               = "${local.name}-eks-node"
  assume_role_policy = data.aws_iam_policy_document.node_assume.json
  tags               = local.tags
}

# The VPC CNI's permissions sit on the node role (the EKS default): simpler than an IRSA role for aws-node, and
# pods cannot borrow them because the launch template blocks pods from the instance metadata service.
resource "aws_iam_role_policy_attachment" "node" {
  for_each = toset([
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonEKS_CNI_Policy",
  ])

  role       = aws_iam_role.node.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/${each.value}"
}

# IMDSv2 only, hop limit 1: a pod (one network hop further) cannot reach the instance metadata service, hence
# cannot use the node role: workloads get AWS access only through their own IRSA role. Root volumes encrypted with
# the account's EBS key (aws/ebs): the CMK would need a key-policy grant for the Auto Scaling service-linked role.
resource "aws_launch_template" "node" {
  for_each = local.node_pools

  name                   = "${local.name}-${each.key}"
  description            = "EKS managed node group ${each.key} of ${local.name}"
  update_default_version = true

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  block_device_mappings {
    device_name = "/dev/xvda" # the AL2023 EKS AMI's root volume
    ebs {
      volume_size           = each.value.disk_size
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  monitoring {
    enabled = true
  }

  tag_specifications {
    resource_type = "instance"
    tags          = merge(local.tags, { Name = "${local.name}-${each.key}" })
  }

  tags = local.tags
}

# `services` (on-demand: the edge, stream, MirrorMaker, Dagster's daemon and webserver) and `batch` (Dagster's run
# pods; Spot when var.batch_pool.spot, tainted so nothing else lands there). The cluster autoscaler owns the size
# between min and max; desired_size is only the starting point, hence ignored afterwards.
resource "aws_eks_node_group" "this" {
  for_each = local.node_pools

  cluster_name    = aws_eks_cluster.this.name
  node_group_name = "${local.name}-${each.key}"
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = aws_subnet.private[*].id
  ami_type        = "AL2023_x86_64_STANDARD"
  capacity_type   = each.value.capacity_type
  instance_types  = each.value.instance_types
  labels          = each.value.labels

  scaling_config {
    min_size     = each.value.min_size
    max_size     = each.value.max_size
    desired_size = each.value.min_size
  }

  update_config {
    max_unavailable = 1
  }

  launch_template {
    id      = aws_launch_template.node[each.key].id
    version = aws_launch_template.node[each.key].latest_version
  }

  dynamic "taint" {
    for_each = each.value.taints
    content {
      key    = taint.value.key
      value  = taint.value.value
      effect = taint.value.effect
    }
  }

  tags = merge(local.tags, {
    "k8s.io/cluster-autoscaler/enabled"               = "true"
    "k8s.io/cluster-autoscaler/${local.cluster_name}" = "owned"
  })

  lifecycle {
    ignore_changes = [scaling_config[0].desired_size]
  }

  depends_on = [aws_iam_role_policy_attachment.node]
}

# Node group tags stay on the node group; the cluster autoscaler reads the Auto Scaling group. EKS tags the group
# for auto-discovery itself; these add the node templates (labels, taint) so it can scale a pool up from zero
# nodes (the batch pool's default) knowing what a new node would carry.
locals {
  # EKS API taint effects -> Kubernetes spelling (the autoscaler's node-template tag value is "value:Effect").
  taint_effects = { NO_SCHEDULE = "NoSchedule", NO_EXECUTE = "NoExecute", PREFER_NO_SCHEDULE = "PreferNoSchedule" }

  autoscaler_asg_tags = merge([
    for pool, cfg in local.node_pools : merge(
      {
        "${pool}/k8s.io/cluster-autoscaler/enabled"               = { pool = pool, key = "k8s.io/cluster-autoscaler/enabled", value = "true" }
        "${pool}/k8s.io/cluster-autoscaler/${local.cluster_name}" = { pool = pool, key = "k8s.io/cluster-autoscaler/${local.cluster_name}", value = "owned" }
      },
      {
        for label, value in cfg.labels : "${pool}/label/${label}" => {
          pool = pool, key = "k8s.io/cluster-autoscaler/node-template/label/${label}", value = value
        }
      },
      {
        for t in cfg.taints : "${pool}/taint/${t.key}" => {
          pool = pool, key = "k8s.io/cluster-autoscaler/node-template/taint/${t.key}", value = "${t.value}:${local.taint_effects[t.effect]}"
        }
      },
    )
  ]...)
}

resource "aws_autoscaling_group_tag" "node_template" {
  for_each = local.autoscaler_asg_tags

  autoscaling_group_name = aws_eks_node_group.this[each.value.pool].resources[0].autoscaling_groups[0].name

  tag {
    key                 = each.value.key
    value               = each.value.value
    propagate_at_launch = false
  }
}

# The EBS CSI driver: the edge's StatefulSet buffers are PersistentVolumeClaims, which EKS cannot provision without
# it. Its controller uses its own IRSA role (identity.tf).
resource "aws_eks_addon" "ebs_csi" {
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = "aws-ebs-csi-driver"
  service_account_role_arn    = aws_iam_role.addon["ebs-csi"].arn
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"
  tags                        = local.tags

  depends_on = [aws_eks_node_group.this]
}
