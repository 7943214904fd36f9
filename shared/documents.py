"""Content-addressed documents (request letters, reply PDFs): stored once, named by SHA-256."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from shared.errors import InvalidInput, NotFound

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class DocumentStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise InvalidInput(f"{sha256!r} is not a SHA-256", "kode dokumen tidak valid")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        sha = sha256_of(data)
        path = self._path(sha)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        return sha

    def get(self, sha256: str) -> bytes:
        path = self._path(sha256)
        if not path.exists():
            raise NotFound(f"no document {sha256}", "dokumen tidak ditemukan")
        return path.read_bytes()

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).exists()
