terraform {
  required_version = ">= 1.6"

  required_providers {
    # 6.x is the current major; 6.9 is the first release with aws_eks_cluster.deletion_protection (used in
    # kubernetes.tf). Every other argument here exists since 6.0 or earlier.
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.9"
    }
    # Generated passwords for what AWS cannot generate for us without a rotation schedule we do not want:
    # the MSK SCRAM user and Dagster's PostgreSQL user (secrets.tf).
    random = {
      source  = "hashicorp/random"
      version = "~> 3.9"
    }
  }
}
