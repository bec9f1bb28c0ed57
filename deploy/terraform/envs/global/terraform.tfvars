# The global stack of the production deployment (apply after envs/us, envs/eu and envs/apac).
project        = "meridian-prod"
dns_name       = "meridian.example.com."
lease_location = "US"

# The edges' static LoadBalancer addresses (documentation range here: replace with the reserved IPs).
edge_addresses = {
  us   = "203.0.113.10"
  eu   = "203.0.113.20"
  apac = "203.0.113.30"
}

labels = { app = "meridian", scope = "global", env = "prod" }
