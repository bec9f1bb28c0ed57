# State beside the regions' (the same versioned bucket, its own prefix); this stack reads theirs (main.tf) and
# is applied after them.
terraform {
  backend "gcs" {
    bucket = "meridian-tfstate"
    prefix = "envs/global"
  }
}
