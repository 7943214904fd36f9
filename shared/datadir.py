"""The data folder (``SIVICON_DATA_DIR``): its owner's alone, and where a secret is kept.

It holds everything worth stealing: the SQLite stores (requesters' phone numbers and e-mail,
Zoom passcodes), the documents, the portal's sessions and users, the signing keys, the NATS
credentials and the token secret. Every process that writes into it first calls
:func:`keep_private`: from then on what it creates is readable by its owner only (umask 077),
and what an older version or another tool left open to the group or to others is closed.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import tempfile
from pathlib import Path

PRIVATE_UMASK = 0o077
SECRET_FILE = "auth-secret"  # noqa: S105 - the file's name, not a secret


def keep_private(data_dir: Path) -> None:
    """Files and folders created by this process from now on are its owner's only; the data
    folder and everything in it lose any access by group and others (symbolic links are left
    alone, and never followed)."""
    os.umask(PRIVATE_UMASK)
    data_dir.mkdir(parents=True, exist_ok=True)
    for folder, folders, files in os.walk(data_dir):
        for name in (".", *folders, *files):
            _close(Path(folder, name))


def _close(path: Path) -> None:
    # A file may vanish while we walk (a SQLite journal, a temporary document): nothing to do.
    with contextlib.suppress(FileNotFoundError):
        mode = path.lstat().st_mode
        if not stat.S_ISLNK(mode) and mode & 0o077:
            path.chmod(stat.S_IMODE(mode) & ~0o077)


def kept_secret(data_dir: Path) -> str:
    """The installation's token secret: made at random on first use and kept in
    ``<data_dir>/auth-secret`` (mode 0600), so that every process of one installation (the
    launcher's children, ``sivicon run`` on its own) signs and checks tokens with the same one
    and tokens survive a restart. Two processes starting at once keep the same one: the file
    appears whole, by a hard link that only one of them can make."""
    path = data_dir / SECRET_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, draft = tempfile.mkstemp(dir=data_dir, prefix=".auth-secret-")  # mode 0600
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
                fh.flush()
                os.fsync(fh.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
        finally:
            os.unlink(draft)
    _close(path)
    secret = path.read_text().strip()
    if len(secret) < 32:
        raise ValueError(f"{path} holds no usable secret: delete it to have a new one made")
    return secret
