# apac: the smallest region; its batch pool scales to zero between runs.
region_name  = "apac"
cloud        = "gcp"
location     = "asia-southeast1"
project      = "meridian-prod-apac"
network_cidr = "10.30.0.0/16"

services_pool = { min_nodes = 1, max_nodes = 4 }
batch_pool    = { min_nodes = 0, max_nodes = 6, spot = true }
kafka_size    = "small"
database_size = "small"

control_plane_authorized_cidrs = ["10.255.0.0/24"]
labels                         = { app = "meridian", region = "apac", env = "prod" }
