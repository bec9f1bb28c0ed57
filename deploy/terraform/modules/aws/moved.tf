# Renamed addresses: a region applied before the rename keeps its resources (Terraform moves them in state instead
# of destroying and re-creating). Keep these until every region has applied past them.

# The add-ons' IRSA roles became one for_each resource (identity.tf).
moved {
  from = aws_iam_role.ebs_csi
  to   = aws_iam_role.addon["ebs-csi"]
}

moved {
  from = aws_iam_role.cluster_autoscaler
  to   = aws_iam_role.addon["cluster-autoscaler"]
}
