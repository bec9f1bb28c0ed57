"""The lake as a folder: ``<root>/<region>/<key>``."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from orchestration.lib.lake.base import LakeStorageError


class LocalLakeStorage:
    def __init__(self, root: Path, region: str) -> None:
        self.root = Path(root) / region
        self.region = region

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise LakeStorageError(f"lake key {key!r} escapes the lake root {self.root}")
        return path

    def write(self, path: str, data: bytes) -> None:
        """Write to a temporary file beside the target, fsync, then rename over it (atomic)."""
        target = self._path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def read(self, path: str) -> bytes:
        try:
            return self._path(path).read_bytes()
        except FileNotFoundError as exc:
            raise LakeStorageError(f"no object {path!r} in lake {self.root}") from exc

    def exists(self, path: str) -> bool:
        return self._path(path).is_file()

    def list(self, prefix: str) -> list[str]:
        base = self._path(prefix) if prefix else self.root
        if not base.exists():
            return []
        files = base.rglob("*") if base.is_dir() else [base]
        return sorted(p.relative_to(self.root).as_posix() for p in files if p.is_file() and not p.name.startswith("."))

    def delete(self, path: str) -> None:
        self._path(path).unlink(missing_ok=True)

    def uri(self, path: str) -> str:
        return str(self._path(path))
