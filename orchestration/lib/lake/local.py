"""The lake as a folder: ``<root>/<region>/<key>``, or an exact folder (``file:///abs/path``)."""

from __future__ import annotations

import builtins
import hashlib
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from orchestration.lib.lake.base import LakeStorageError, ObjectInfo


class LocalLakeStorage:
    """One region's lake in a folder: ``root / region`` by default, or exactly ``path`` when given."""

    def __init__(self, root: Path | None, region: str, *, path: Path | None = None) -> None:
        if path is not None and root is None:
            self.root = Path(path)
        elif root is not None and path is None:
            self.root = Path(root) / region
        else:
            raise ValueError("LocalLakeStorage takes a root (the lake is root/region) or an exact path, not both")
        self.region = region

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise LakeStorageError(f"lake key {key!r} escapes the lake root {self.root}")
        return path

    def _temp_beside(self, target: Path, data: bytes) -> Path:
        """``data`` in a hidden, fsynced temporary file in ``target``'s folder (same filesystem)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return Path(tmp)

    def write(self, path: str, data: bytes) -> ObjectInfo | None:
        """Write to a temporary file beside the target, fsync, then rename over it (atomic).

        A folder reports nothing of its own: the caller that needs proof stats (re-reads) the file.
        """
        target = self._path(path)
        tmp = self._temp_beside(target, data)
        try:
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return None

    def write_if_absent(self, path: str, data: bytes) -> bool:
        """Hard-link a complete temporary file to the target: ``link`` refuses an existing name atomically."""
        target = self._path(path)
        tmp = self._temp_beside(target, data)
        try:
            os.link(tmp, target)
        except FileExistsError:
            return False
        finally:
            tmp.unlink(missing_ok=True)
        return True

    def read(self, path: str) -> bytes:
        target = self._path(path)
        try:
            return target.read_bytes()
        except FileNotFoundError as exc:
            raise LakeStorageError(f"no object {target} (key {path!r} in lake {self.root})") from exc

    def exists(self, path: str) -> bool:
        return self._path(path).is_file()

    def stat(self, path: str) -> ObjectInfo | None:
        return self._info(self._path(path), path)

    def _info(self, file: Path, key: str) -> ObjectInfo | None:
        try:
            with file.open("rb") as handle:
                md5 = hashlib.file_digest(handle, "md5").hexdigest()
                meta = os.fstat(handle.fileno())
        except (FileNotFoundError, IsADirectoryError):
            return None
        return ObjectInfo(key, meta.st_size, md5, datetime.fromtimestamp(meta.st_mtime, tz=UTC))

    def list(self, prefix: str) -> list[str]:
        if self.root.exists() and not self.root.is_dir():
            # a lake that is gone (a lost mount, a folder replaced): an error, never an empty listing
            raise LakeStorageError(f"lake root {self.root} is not a folder: the store is unreachable")
        base = self._path(prefix) if prefix else self.root
        if not base.exists():
            return []
        files = base.rglob("*") if base.is_dir() else [base]
        return sorted(p.relative_to(self.root).as_posix() for p in files if p.is_file() and not p.name.startswith("."))

    def list_info(self, prefix: str) -> builtins.list[ObjectInfo]:
        infos = (self._info(self.root / key, key) for key in self.list(prefix))
        return [info for info in infos if info is not None]  # a file deleted since the listing is gone

    def delete(self, path: str) -> None:
        self._path(path).unlink(missing_ok=True)

    def uri(self, path: str) -> str:
        return str(self._path(path))

    def describe(self) -> str:
        return str(self.root)
