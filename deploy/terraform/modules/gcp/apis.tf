# The project's APIs and number. Enabling them here makes a fresh project apply in one go; disable_on_destroy is
# off because turning an API off would break whatever else lives in the project.
resource "google_project_service" "this" {
  for_each = toset(local.project_services)

  project                    = var.project
  service                    = each.value
  disable_on_destroy         = false
  disable_dependent_services = false
}

# The project number names the Google-managed service agents (encryption.tf).
data "google_project" "this" {
  project_id = var.project
}
