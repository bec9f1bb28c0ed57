# eu: lands its own events and mirrors us and apac; moving it to another cloud is `cloud` and `location` only
# (e.g. cloud = "aws", location = "eu-west-1"), the rest of this file unchanged.
region_name  = "eu"
cloud        = "gcp"
location     = "europe-west1"
project      = "meridian-prod-eu"
network_cidr = "10.20.0.0/16"

services_pool = { min_nodes = 1, max_nodes = 6 }
batch_pool    = { min_nodes = 0, max_nodes = 8, spot = true }
kafka_size    = "small"
database_size = "small"

control_plane_authorized_cidrs = ["10.255.0.0/24"]
labels                         = { app = "meridian", region = "eu", env = "prod" }
