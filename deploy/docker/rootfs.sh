#!/usr/bin/env bash
# A Debian bookworm root filesystem shaped like the official debian:bookworm-slim image, made by debootstrap.
#
# No container registry is reachable here, so the image's base cannot be pulled; Debian's mirrors are. build.sh
# imports this directory as localhost/meridian-base:bookworm and passes it as the Dockerfile's BASE, so the
# Dockerfile itself stays the one users build FROM docker.io/library/debian:bookworm-slim.
#
# Usage: rootfs.sh <dir>   (run as root; build.sh calls it once per version of this file)
set -euo pipefail

target=${1:?usage: rootfs.sh <dir>}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

rm -rf "$target.partial"
mkdir -p "$(dirname "$target")"
# The host's apt archive keeps the downloaded packages between clones (like ~/.m2 for the Kafka jars).
cache=/var/cache/apt/archives
cache_arg=()
if [ -d "$cache" ] && [ -w "$cache" ]; then cache_arg=(--cache-dir="$cache"); fi
debootstrap --variant=minbase "${cache_arg[@]}" bookworm "$target.partial" "$mirror"

root=$target.partial
# What the official slim image carries: the three suites (security updates included, which also bring a Rust new
# enough for pyo3), no documentation installed by later packages, and no package lists or caches left behind.
rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
mkdir -p "$root/etc/dpkg/dpkg.cfg.d"
# dpkg's fsync per file is what makes an install slow in a build container; a crash there rebuilds the layer anyway.
echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
EOF
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
echo 'APT::Install-Recommends "false";' >"$root/etc/apt/apt.conf.d/docker-no-recommends"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/log/*.log "$root"/var/log/apt/* \
  "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* "$root"/tmp/*
find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
# The runtime (buildah, Kubernetes) supplies /dev; an image carries no device nodes.
rm -rf "${root:?}"/dev/*

rm -rf "$target"
mv "$root" "$target"
