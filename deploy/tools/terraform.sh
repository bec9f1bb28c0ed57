#!/usr/bin/env bash
# Provide `terraform` at $1 for the offline checks of deploy/terraform (fmt -check, validate):
#   - a terraform or tofu already on PATH is linked (e.g. a machine image's /usr/local/bin/terraform);
#   - otherwise OpenTofu $2 (MPL, a drop-in for these commands) is built from the Go module proxy. `go install`
#     refuses its go.mod's replace directive, so the module is downloaded and built inside a writable copy.
set -euo pipefail
dest=$1
version=${2:-v1.12.6}
mkdir -p "$(dirname "$dest")"
for name in terraform tofu; do
  found=$(PATH=$(echo "$PATH" | tr ':' '\n' | grep -vxF "$(dirname "$dest")" | paste -sd:) command -v "$name" || true)
  if [ -n "$found" ]; then
    ln -sf "$found" "$dest"
    exit 0
  fi
done
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
dir=$(GOFLAGS=-mod=mod go mod download -json "github.com/opentofu/opentofu@$version" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
cp -r "$dir" "$work/src" && chmod -R u+w "$work/src"
(cd "$work/src" && CGO_ENABLED=0 go build -trimpath -o "$dest" ./cmd/tofu)
