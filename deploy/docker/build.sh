#!/usr/bin/env bash
# Build the Meridian image with buildah: no Docker daemon, and no registry (the base is made by debootstrap).
#
#   deploy/docker/build.sh [TAG]        build; TAG defaults to localhost/meridian:dev
#   deploy/docker/build.sh --base       only make (once) and import the debootstrapped base (make image-base)
#   deploy/docker/build.sh --prune      drop images nothing tagged needs (after removing a tag)
#
# Runs as root with overlay storage (vfs copies the whole filesystem for every step: 26 GB for one build) and chroot
# isolation. Everything lives in a build cache outside the clone, like uv's (never /var/lib):
#   ~/.cache/meridian/images/bookworm-<hash>/rootfs   debootstrapped once per version of rootfs.sh (by content)
#   ~/.cache/meridian/images/storage-overlay          buildah's store: the base, and the build's cached layers
# so a fresh clone on the same machine rebuilds only what its sources changed. Two stages are tagged
# (localhost/meridian-build:cache and localhost/meridian-runtime-base:cache), which keeps their layers, the locked
# dependencies and Debian's packages, out of reach of --prune; everything else of a removed image goes.
# The host's uv cache and cargo registry are bound into the build's RUN steps (downloads are not repeated), and
# so is a Rust target directory kept in ~/.cache/meridian/image-cargo-target: the crates are compiled once.
#
# Environment: MERIDIAN_IMAGES (default ~/.cache/meridian/images), BUILDAH (default buildah), MERIDIAN_IMAGE_DRIVER
# (default overlay; vfs where overlayfs cannot be mounted),
# MERIDIAN_IMAGE_CACHES=0 to build without the host's caches (what a user's plain build does),
# MERIDIAN_IMAGE_BYTECODE=0 to skip compiling bytecode (minutes on 2 busy cores; the test's build does).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
mode=build
case "${1:-}" in
  --base) mode=base; shift ;;
  --prune) mode=prune; shift ;;
esac
tag=${1:-localhost/meridian:dev}
cache_home=${XDG_CACHE_HOME:-$HOME/.cache}
images=${MERIDIAN_IMAGES:-$cache_home/meridian/images}
buildah=${BUILDAH:-buildah}
base=localhost/meridian-base:bookworm
driver=${MERIDIAN_IMAGE_DRIVER:-overlay}
store=(--root "$images/storage-$driver" --runroot "$images/runroot-$driver" --storage-driver "$driver")

if [ "$mode" = prune ]; then
  # A removed image's parents become dangling one step at a time: prune until nothing is left to remove.
  for _ in $(seq 1 40); do
    removed=$("$buildah" "${store[@]}" rmi --prune 2>/dev/null || true)
    [ -n "$removed" ] || break
  done
  exit 0
fi

# The base, keyed by rootfs.sh's content (a fresh clone's new file times must not make it again).
hash=$(sha256sum "$repo/deploy/docker/rootfs.sh" | cut -c1-16)
rootfs=$images/bookworm-$hash/rootfs
stamp=$images/bookworm-$hash/.stamp
if [ ! -f "$stamp" ]; then
  mkdir -p "$images"
  find "$images" -maxdepth 1 -name 'bookworm-*' ! -name "bookworm-$hash" -exec rm -rf {} +
  "$repo/deploy/docker/rootfs.sh" "$rootfs"
  touch "$stamp"
fi

# Import the rootfs as the base image, again whenever rootfs.sh changed (its hash is an annotation).
have=$("$buildah" "${store[@]}" inspect --type image --format '{{index .ImageAnnotations "io.meridian.rootfs"}}' \
  "$base" 2>/dev/null || true)
if [ "$have" != "$hash" ]; then
  ctr=$("$buildah" "${store[@]}" from --name meridian-base-import --pull-never scratch)
  trap '"$buildah" "${store[@]}" rm "$ctr" >/dev/null 2>&1 || true' EXIT
  mnt=$("$buildah" "${store[@]}" mount "$ctr")
  cp -a "$rootfs/." "$mnt/"
  "$buildah" "${store[@]}" umount "$ctr" >/dev/null
  "$buildah" "${store[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --cmd bash --annotation "io.meridian.rootfs=$hash" --os linux --arch amd64 "$ctr"
  "$buildah" "${store[@]}" commit --quiet --rm "$ctr" "$base" >/dev/null
  trap - EXIT
fi
[ "$mode" = base ] && exit 0

caches=()
if [ "${MERIDIAN_IMAGE_CACHES:-1}" != 0 ]; then
  uv_cache=${UV_CACHE_DIR:-$cache_home/uv}
  cargo_registry=${CARGO_HOME:-$HOME/.cargo}/registry
  # Kept beside uv's cache (outside the clone, like it), so a fresh clone on this machine compiles only what changed.
  cargo_target=${MERIDIAN_IMAGE_CARGO_TARGET:-$cache_home/meridian/image-cargo-target}
  mkdir -p "$uv_cache" "$cargo_registry" "$cargo_target"
  # Bound at paths of their own (the Dockerfile's cache mounts stay empty): the build args point uv and cargo there.
  caches=(
    -v "$uv_cache:/cache/uv" --build-arg UV_CACHE_DIR=/cache/uv
    -v "$cargo_registry:/cache/cargo/registry" --build-arg CARGO_HOME=/cache/cargo
    -v "$cargo_target:/cache/cargo-target" --build-arg CARGO_TARGET_DIR=/cache/cargo-target
  )
fi

# The host's trust store (SSL_CERT_FILE, else Debian's bundle) for the build's downloads: a host that reaches PyPI
# and crates.io through a TLS-intercepting proxy trusts that proxy's CA there. Build time only, never in the image.
ca=()
bundle=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}
if [ -f "$bundle" ]; then
  ca=(-v "$(readlink -f "$bundle"):/run/build-ca.crt:ro" --build-arg SSL_CERT_FILE=/run/build-ca.crt
    --build-arg PIP_CERT=/run/build-ca.crt --build-arg CARGO_HTTP_CAINFO=/run/build-ca.crt)
fi

revision=$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)
# buildah's temporary files (layer blobs, cache-mount directories) stay beside its store, not in /var/tmp.
mkdir -p "$images/tmp"
build() {
  TMPDIR=$images/tmp "$buildah" "${store[@]}" build --isolation chroot --layers --pull-never \
    -f "$repo/deploy/docker/Dockerfile" --ignorefile "$repo/deploy/docker/Dockerfile.dockerignore" \
    --build-arg BASE="$base" --build-arg REVISION="$revision" \
    --build-arg UV_COMPILE_BYTECODE="${MERIDIAN_IMAGE_BYTECODE:-1}" "${ca[@]}" "${caches[@]}" "$@" "$repo"
}
# The two stages whose layers are worth keeping, tagged (their steps are then cache hits of the full build).
build --target build -t localhost/meridian-build:cache
build --target runtime-base -t localhost/meridian-runtime-base:cache
build -t "$tag"
