# State in a GCS bucket of its own (versioned, made once by hand or by a bootstrap project: see
# deploy/terraform/README.md), one prefix per environment; envs/global reads this one.
terraform {
  backend "gcs" {
    bucket = "meridian-tfstate"
    prefix = "envs/us"
  }
}
