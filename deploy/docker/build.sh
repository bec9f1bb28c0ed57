#!/usr/bin/env bash
# Build the Meridian image with buildah: no Docker daemon, and no registry (the base is made by debootstrap).
#
#   deploy/docker/build.sh [TAG]        TAG defaults to localhost/meridian:dev
#
# Runs as root with overlay storage (vfs copies the whole filesystem for every step: 26 GB for one build) and chroot
# isolation, everything under .local/images/ (never /var/lib):
#   .local/images/bookworm/rootfs   debootstrapped once (make .local/images/bookworm/.stamp)
#   .local/images/storage-overlay   buildah's image store; localhost/meridian-base:bookworm is imported there
# The host's uv cache and cargo registry are bound into the build's RUN steps (downloads are not repeated), and
# so is a Rust target directory kept in ~/.cache/meridian/image-cargo-target: the crates are compiled once.
#
# Environment: MERIDIAN_IMAGES (default <repo>/.local/images), BUILDAH (default buildah), MERIDIAN_IMAGE_DRIVER
# (default overlay; vfs where overlayfs cannot be mounted),
# MERIDIAN_IMAGE_CACHES=0 to build without the host's caches (what a user's plain build does),
# MERIDIAN_IMAGE_BYTECODE=0 to skip compiling bytecode (minutes on 2 busy cores; the test's build does).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
tag=${1:-localhost/meridian:dev}
images=${MERIDIAN_IMAGES:-$repo/.local/images}
buildah=${BUILDAH:-buildah}
base=localhost/meridian-base:bookworm
stamp=$images/bookworm/.stamp
rootfs=$images/bookworm/rootfs
driver=${MERIDIAN_IMAGE_DRIVER:-overlay}
store=(--root "$images/storage-$driver" --runroot "$images/runroot-$driver" --storage-driver "$driver")

if [ "$images" = "$repo/.local/images" ]; then
  make -C "$repo" --no-print-directory .local/images/bookworm/.stamp
elif [ ! -f "$stamp" ]; then
  "$repo/deploy/docker/rootfs.sh" "$rootfs" && touch "$stamp"
fi

# Import the rootfs as the base image, again whenever the rootfs was remade (its stamp's time is an annotation).
made=$(stat -c %Y "$stamp")
have=$("$buildah" "${store[@]}" inspect --type image --format '{{index .ImageAnnotations "io.meridian.rootfs"}}' \
  "$base" 2>/dev/null || true)
if [ "$have" != "$made" ]; then
  ctr=$("$buildah" "${store[@]}" from --name meridian-base-import --pull-never scratch)
  trap '"$buildah" "${store[@]}" rm "$ctr" >/dev/null 2>&1 || true' EXIT
  mnt=$("$buildah" "${store[@]}" mount "$ctr")
  cp -a "$rootfs/." "$mnt/"
  "$buildah" "${store[@]}" umount "$ctr" >/dev/null
  "$buildah" "${store[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --cmd bash --annotation "io.meridian.rootfs=$made" --os linux --arch amd64 "$ctr"
  "$buildah" "${store[@]}" commit --quiet --rm "$ctr" "$base" >/dev/null
  trap - EXIT
fi

caches=()
if [ "${MERIDIAN_IMAGE_CACHES:-1}" != 0 ]; then
  uv_cache=${UV_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/uv}
  cargo_registry=${CARGO_HOME:-$HOME/.cargo}/registry
  # Kept beside uv's cache (outside the clone, like it), so a fresh clone on this machine compiles only what changed.
  cargo_target=${MERIDIAN_IMAGE_CARGO_TARGET:-${XDG_CACHE_HOME:-$HOME/.cache}/meridian/image-cargo-target}
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
# buildah's temporary files (layer blobs, cache-mount directories) stay under .local/images too, not in /var/tmp.
mkdir -p "$images/tmp"
TMPDIR=$images/tmp "$buildah" "${store[@]}" build --isolation chroot --layers --pull-never \
  -f "$repo/deploy/docker/Dockerfile" --ignorefile "$repo/deploy/docker/Dockerfile.dockerignore" \
  --build-arg BASE="$base" --build-arg REVISION="$revision" --build-arg UV_COMPILE_BYTECODE="${MERIDIAN_IMAGE_BYTECODE:-1}" "${ca[@]}" "${caches[@]}" \
  -t "$tag" "$repo"
