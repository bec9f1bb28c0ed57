"""The container image: built by buildah from deploy/docker/Dockerfile, and run the way Kubernetes runs it.

No Docker daemon and no registry here, so ``deploy/docker/build.sh`` builds with buildah over a Debian base made by
debootstrap (the Dockerfile's ``BASE`` argument; users build it FROM debian:bookworm-slim). The image's own config
is read back (a numeric non-root user, ``meridian`` as the one entrypoint, OCI labels), then its commands run
inside it twice over: with ``buildah run`` (the image's user and environment) and in a chroot of the image whose
root is mounted read-only, with only ``/tmp`` and ``/var/lib/meridian`` writable, as the chart's pods run it. The
Rust extension must import there: built in the build stage, it would otherwise be missing from the runtime stage
without any Python-side test noticing.

Building takes minutes the first time on a machine (Debian's compilers, then the locked dependencies from the
host's uv cache); afterwards the image and the layers only it used are removed, and the tagged dependency and
Debian layers stay in build.sh's cache (~/.cache/meridian/images), so the next run, even from a fresh clone,
rebuilds only Meridian's own code.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.tools import BUILDAH, ROOT, require

pytestmark = pytest.mark.integration

# build.sh's build cache (outside the clone, like uv's), unless MERIDIAN_IMAGES says otherwise.
IMAGES = Path(
    os.environ.get("MERIDIAN_IMAGES")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "meridian" / "images"
)
# build.sh's store (overlay: vfs would copy the whole filesystem for every build step).
STORE = [
    *("--root", str(IMAGES / "storage-overlay"), "--runroot", str(IMAGES / "runroot-overlay")),
    *("--storage-driver", "overlay"),
]
TAG = "localhost/meridian:test"
BUILD_TIMEOUT_S = 1500
# The writable places a pod gives the image: an emptyDir on /tmp and the data volume (the working directory).
WRITABLE = ("/tmp", "/var/lib/meridian")


@dataclass(frozen=True)
class Image:
    config: dict[str, Any]  # the OCI image config's "config" object
    root: Path  # a working container's filesystem, mounted
    container: str
    build_seconds: float


def buildah(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BUILDAH), *STORE, *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def image() -> Iterator[Image]:
    """Build the image (layers reused when the inputs did not change), then a container of it, mounted."""
    require(BUILDAH)
    started = time.monotonic()
    build = subprocess.run(
        ["bash", str(ROOT / "deploy" / "docker" / "build.sh"), TAG],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        # Bytecode compilation (2-3 minutes of a busy suite) is the one step skipped: the code runs the same.
        env={**os.environ, "BUILDAH": str(BUILDAH), "MERIDIAN_IMAGE_DRIVER": "overlay", "MERIDIAN_IMAGE_BYTECODE": "0"},
    )
    seconds = time.monotonic() - started
    assert build.returncode == 0, build.stdout[-6000:] + build.stderr[-6000:]
    container = ""
    try:
        inspected = buildah("inspect", "--type", "image", TAG)
        assert inspected.returncode == 0, inspected.stderr
        config = json.loads(inspected.stdout)["OCIv1"]["config"]
        made = buildah("from", "--pull-never", "--name", "meridian-image-test", TAG)
        assert made.returncode == 0, made.stderr
        container = made.stdout.strip().splitlines()[-1]
        mounted = buildah("mount", container)
        assert mounted.returncode == 0, mounted.stderr
        yield Image(config, Path(mounted.stdout.strip()), container, seconds)
    finally:
        if container:
            buildah("rm", container)
        # Drop the test's image and the layers only it used (GBs), unless a developer keeps them: the tagged
        # dependency and Debian layers stay cached for the next run (deploy/docker/build.sh --prune).
        if os.environ.get("MERIDIAN_IMAGE_KEEP") != "1":
            buildah("rmi", TAG)
            subprocess.run(
                ["bash", str(ROOT / "deploy" / "docker" / "build.sh"), "--prune"],
                env={**os.environ, "BUILDAH": str(BUILDAH), "MERIDIAN_IMAGE_DRIVER": "overlay"},
                capture_output=True,
                timeout=600,
                check=False,
            )


def run_readonly(image: Image, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` in the image as its user, its root read-only, /tmp and the data volume writable (tmpfs).

    A private mount namespace (``unshare``) keeps every mount away from the host; the environment is exactly the
    image's, and the working directory its WorkingDir, as a container runtime would set them.
    """
    user = image.config["User"]
    uid, _, gid = user.partition(":")
    workdir = image.config.get("WorkingDir") or "/"
    setup = "\n".join(
        [
            "set -e",
            'root="$1"; shift',
            "mount --make-rprivate /",
            'mount --bind "$root" "$root"',
            'mount -o remount,bind,ro "$root"',
            'mount --rbind /dev "$root/dev"',
            'mount -t proc proc "$root/proc"',
            *(f'mount -t tmpfs -o mode=1777,uid={uid},gid={gid or uid} tmpfs "$root{path}"' for path in WRITABLE),
            f'exec chroot --userspec={uid}:{gid or uid} "$root" /usr/bin/env -i "$@"',
        ]
    )
    command = [*image.config["Env"], "/bin/sh", "-c", 'cd "$0" && exec "$@"', workdir, *argv]
    return subprocess.run(
        ["unshare", "--mount", "--fork", "/bin/sh", "-c", setup, "sh", str(image.root), *command],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_the_image_runs_as_a_numeric_non_root_user_with_meridian_as_its_entrypoint(image: Image) -> None:
    user = image.config["User"]
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0, f"the image's user is {user!r}: Kubernetes' runAsNonRoot needs a number"
    assert image.config["Entrypoint"] == ["meridian"]
    assert image.config["Cmd"] == ["--help"]
    env = dict(entry.split("=", 1) for entry in image.config["Env"])
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    for name in ("HOME", "TMPDIR", "XDG_CACHE_HOME", "DBT_TARGET_PATH", "DBT_LOG_PATH", "DAGSTER_HOME"):
        assert env[name].startswith(WRITABLE), f"{name}={env[name]} is not under a writable mount {WRITABLE}"
    labels = image.config["Labels"]
    assert labels["org.opencontainers.image.title"] == "meridian"
    assert labels["org.opencontainers.image.licenses"] == "Apache-2.0"
    # The code belongs to root: the process (uid 10001) cannot change what it runs.
    assert (image.root / "app" / "orchestration").stat().st_uid == 0
    assert (image.root / "app" / ".venv" / "bin" / "meridian").stat().st_uid == 0


def test_meridian_help_runs_in_the_image(image: Image) -> None:
    """``buildah run`` applies the image's user, environment and working directory."""
    result = buildah("run", "--isolation", "chroot", image.container, "--", "meridian", "--help")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Meridian: real-time and batch analytics across regions" in result.stdout
    for command in ("edge", "stream", "exporter", "run-once"):
        assert f"  {command} " in result.stdout, result.stdout


def test_edge_help_and_the_rust_extension_run_on_a_read_only_root(image: Image) -> None:
    edge = run_readonly(image, *image.config["Entrypoint"], "edge", "--help")
    assert edge.returncode == 0, edge.stdout + edge.stderr
    assert "Run the edge collector" in edge.stdout and "--buffer-dir" in edge.stdout

    native = run_readonly(
        image, "python", "-c", "import meridian_native, streaming.realtime.windows; print(meridian_native.__file__)"
    )
    assert native.returncode == 0, native.stdout + native.stderr
    assert native.stdout.strip().startswith("/app/.venv/lib/python3.11/site-packages/meridian_native")

    # The harness really is read-only, so the runs above wrote nothing outside the writable mounts.
    write = run_readonly(image, "python", "-c", "open('/app/probe', 'w')")
    assert write.returncode != 0 and "Read-only file system" in write.stderr, write.stderr


def test_the_dbt_manifest_dagster_loads_is_in_the_image(image: Image) -> None:
    """Made by ``dbt parse`` in the build stage: without it the Dagster definitions refuse to load."""
    manifest = json.loads((image.root / "app" / "dbt_project" / "target" / "manifest.json").read_text())
    models = {node["name"] for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    assert {"fct_events", "dim_regions"} <= models, sorted(models)
