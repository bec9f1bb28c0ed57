"""The security and data-safety properties a reviewer looks for, read from each cloud module's parsed HCL.

One lake bucket per region with versioning and encryption by a customer-managed key, public access blocked;
Kubernetes clusters private; databases unreachable from the internet and TLS-only; deletion protection on the data,
driven by ``var.deletion_protection`` (whose default is on). checkov checks many of these generically; these tests
pin them to the resources that hold Meridian's data, so a refactor that loses one fails here by name.
"""

from __future__ import annotations

from typing import Any

from tests.deploy.terraform_hcl import MODULES, Module, attr, expression, load

DELETION = "var.deletion_protection"
NOT_DELETION = "!var.deletion_protection"


def one(module: Module, resource_type: str) -> tuple[str, dict[str, Any]]:
    found = module.of_type(resource_type)
    assert len(found) == 1, f"{module.path.name}: expected one {resource_type}, found {sorted(found)}"
    return next(iter(found.items()))


def lake(module: Module, resource_type: str) -> dict[str, Any]:
    """The lake's bucket/account: the one named `lake` (a module may have others, e.g. for access logs)."""
    buckets = module.of_type(resource_type)
    assert "lake" in buckets, f"{module.path.name}: no {resource_type}.lake among {sorted(buckets)}"
    return buckets["lake"]


def test_deletion_protection_is_on_unless_a_region_turns_it_off() -> None:
    variable = load(MODULES / "interface").variables["deletion_protection"]
    assert variable["default"] is True


# GCP


def test_gcp_lake_is_versioned_encrypted_uniform_private_and_kept() -> None:
    gcp = load(MODULES / "gcp")
    bucket = lake(gcp, "google_storage_bucket")
    assert attr(bucket, "versioning", "enabled") is True
    assert expression(attr(bucket, "encryption", "default_kms_key_name")).startswith("google_kms_crypto_key.")
    assert bucket["uniform_bucket_level_access"] is True
    assert bucket["public_access_prevention"] == '"enforced"'
    assert attr(bucket, "soft_delete_policy", "retention_duration_seconds") >= 604800
    assert expression(bucket["force_destroy"]) == NOT_DELETION
    noncurrent = [attr(rule, "condition", "days_since_noncurrent_time") for rule in bucket["lifecycle_rule"]]
    assert "${var.lake_noncurrent_version_days}" in noncurrent


def test_gcp_cluster_is_private_with_workload_identity_and_protected() -> None:
    gcp = load(MODULES / "gcp")
    _, cluster = one(gcp, "google_container_cluster")
    assert attr(cluster, "private_cluster_config", "enable_private_nodes") is True
    assert attr(cluster, "private_cluster_config", "enable_private_endpoint") is True
    assert expression(attr(cluster, "workload_identity_config", "workload_pool")) == "local.workload_pool"
    assert _local(gcp, "workload_pool").endswith('.svc.id.goog"')
    assert expression(cluster["deletion_protection"]) == DELETION


def test_gcp_database_has_no_public_ip_requires_tls_and_is_protected() -> None:
    _, instance = one(load(MODULES / "gcp"), "google_sql_database_instance")
    ip = attr(instance, "settings", "ip_configuration")
    assert ip["ipv4_enabled"] is False
    assert literal_in(ip["ssl_mode"], {"ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"})
    assert expression(instance["deletion_protection"]) == DELETION
    assert expression(attr(instance, "settings", "deletion_protection_enabled")) == DELETION


def test_gcp_warehouse_is_encrypted_and_keeps_its_tables() -> None:
    datasets = load(MODULES / "gcp").of_type("google_bigquery_dataset")
    assert datasets
    for name, dataset in datasets.items():
        key = attr(dataset, "default_encryption_configuration", "kms_key_name")
        assert expression(key).startswith("google_kms_crypto_key."), name
        assert expression(dataset["delete_contents_on_destroy"]) == NOT_DELETION, name


# AWS


def test_aws_lake_is_versioned_kms_encrypted_and_blocks_public_access() -> None:
    aws = load(MODULES / "aws")
    lake(aws, "aws_s3_bucket")
    assert expression(aws.of_type("aws_s3_bucket")["lake"]["force_destroy"]) == NOT_DELETION
    versioning = aws.of_type("aws_s3_bucket_versioning")["lake"]
    assert expression(versioning["bucket"]) == "aws_s3_bucket.lake.id"
    assert attr(versioning, "versioning_configuration", "status") == '"Enabled"'
    encryption = aws.of_type("aws_s3_bucket_server_side_encryption_configuration")["lake"]
    assert expression(encryption["bucket"]) == "aws_s3_bucket.lake.id"
    default = attr(encryption, "rule", "apply_server_side_encryption_by_default")
    assert default["sse_algorithm"] == '"aws:kms"'
    assert expression(default["kms_master_key_id"]).startswith("aws_kms_key.")
    block = aws.of_type("aws_s3_bucket_public_access_block")["lake"]
    for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
        assert block[flag] is True, flag


def test_aws_cluster_endpoint_is_private_and_public_only_for_the_authorized_cidrs() -> None:
    aws = load(MODULES / "aws")
    _, cluster = one(aws, "aws_eks_cluster")
    vpc = attr(cluster, "vpc_config")
    assert vpc["endpoint_private_access"] is True
    public = expression(vpc["endpoint_public_access"])
    assert public == "local.public_endpoint"
    assert "length(var.control_plane_authorized_cidrs) > 0" in _local(aws, "public_endpoint")
    assert "var.control_plane_authorized_cidrs" in expression(vpc["public_access_cidrs"])
    assert expression(cluster["deletion_protection"]) == DELETION


def test_aws_database_is_not_public_encrypted_and_protected() -> None:
    _, instance = one(load(MODULES / "aws"), "aws_db_instance")
    assert instance["publicly_accessible"] is False
    assert instance["storage_encrypted"] is True
    assert expression(instance["deletion_protection"]) == DELETION


# Azure


def test_azure_lake_is_versioned_soft_deleted_cmk_encrypted_and_private() -> None:
    azure = load(MODULES / "azure")
    account = lake(azure, "azurerm_storage_account")
    blob = attr(account, "blob_properties")
    assert blob["versioning_enabled"] is True
    assert attr(blob, "delete_retention_policy", "days") is not None
    assert attr(blob, "container_delete_retention_policy", "days") is not None
    assert expression(attr(account, "customer_managed_key", "key_vault_key_id")).startswith("azurerm_key_vault_key.")
    assert account["infrastructure_encryption_enabled"] is True
    assert account["public_network_access_enabled"] is False
    assert account["allow_nested_items_to_be_public"] is False


def test_azure_cluster_is_private_with_workload_identity() -> None:
    _, cluster = one(load(MODULES / "azure"), "azurerm_kubernetes_cluster")
    assert cluster["private_cluster_enabled"] is True
    assert cluster["workload_identity_enabled"] is True
    assert cluster["oidc_issuer_enabled"] is True
    assert cluster["local_account_disabled"] is True


def test_azure_database_is_private_and_tls_only() -> None:
    azure = load(MODULES / "azure")
    _, server = one(azure, "azurerm_postgresql_flexible_server")
    assert server["public_network_access_enabled"] is False
    assert expression(server["delegated_subnet_id"]).startswith("azurerm_subnet.")
    configs = azure.of_type("azurerm_postgresql_flexible_server_configuration").values()
    assert any(c["name"] == '"require_secure_transport"' and c["value"] == '"on"' for c in configs)


def test_azure_data_is_locked_against_deletion_while_protection_is_on() -> None:
    """azurerm has no deletion_protection argument for these: a CanNotDelete lock, present while it is on."""
    locks = load(MODULES / "azure").of_type("azurerm_management_lock")
    scopes = {expression(lock["scope"]).split(".")[0] for lock in locks.values()}
    assert {"azurerm_storage_account", "azurerm_postgresql_flexible_server", "azurerm_eventhub_namespace"} <= scopes
    for name, lock in locks.items():
        assert expression(lock["count"]) == f"{DELETION} ? 1 : 0", name
        assert lock["lock_level"] == '"CanNotDelete"', name


# Global


def test_the_lease_bucket_is_versioned_encrypted_and_uniform() -> None:
    bucket = load(MODULES / "global").of_type("google_storage_bucket")["lease"]
    assert attr(bucket, "versioning", "enabled") is True
    assert expression(attr(bucket, "encryption", "default_kms_key_name")).startswith("google_kms_crypto_key.")
    assert bucket["uniform_bucket_level_access"] is True
    assert bucket["public_access_prevention"] == '"enforced"'
    assert expression(bucket["force_destroy"]) == NOT_DELETION


def literal_in(value: Any, allowed: set[str]) -> bool:
    return str(value).strip('"') in allowed


def _local(module: Module, name: str) -> str:
    for entry in module.tree("locals"):
        if name in entry:
            return expression(entry[name])
    raise AssertionError(f"{module.path.name} has no local.{name}")
