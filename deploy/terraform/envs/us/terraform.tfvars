# us: the aggregation region (global silver and gold are built here; deploy/helm/meridian/values-us.yaml).
region_name  = "us"
cloud        = "gcp"
location     = "us-central1"
project      = "meridian-prod-us"
network_cidr = "10.10.0.0/16"

services_pool = { min_nodes = 1, max_nodes = 8 }
batch_pool    = { min_nodes = 0, max_nodes = 12, spot = true }
kafka_size    = "medium"
database_size = "medium"

control_plane_authorized_cidrs = ["10.255.0.0/24"] # the CI runners' and VPN's range
labels                         = { app = "meridian", region = "us", env = "prod" }
