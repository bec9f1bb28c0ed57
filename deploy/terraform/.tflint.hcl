# tflint for every module and environment (tests/deploy/test_terraform_tools.py runs it with --recursive).
# Only the bundled terraform ruleset: the cloud rulesets are plugins downloaded from GitHub, which cannot be had here
# (nor behind a firewall); checkov covers the clouds' security checks offline.
config {
  call_module_type = "local"
}

plugin "terraform" {
  enabled = true
  preset  = "recommended"
}

# Beyond "recommended": what a module others depend on owes its readers.
rule "terraform_documented_variables" {
  enabled = true
}

rule "terraform_documented_outputs" {
  enabled = true
}

rule "terraform_typed_variables" {
  enabled = true
}

rule "terraform_naming_convention" {
  enabled = true
}

rule "terraform_unused_required_providers" {
  enabled = true
}
