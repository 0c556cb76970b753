"""Files under the data directory, readable by rma's own user alone (files 0600, folders 0700).

Secrets, uploaded labels and photos, mail and the SQLite database all live there; another
account on the machine has no business reading any of them. Modes are set when a file is
opened, not after it is written, so there is no moment when the content is readable by others.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """``path`` as a folder, each one made here 0700 (folders that exist are left alone)."""
    missing = []
    folder = path
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for made in reversed(missing):
        try:
            made.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue  # another process made it at the same moment
        made.chmod(DIR_MODE)  # mkdir's mode goes through the umask
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (0600) at once: readers never see half a file."""
    private_dir(path.parent)
    partial = _partial(path)
    _write_new(partial, data)
    os.replace(partial, path)


def create_private(path: Path, data: bytes) -> bool:
    """Write ``path`` (0600) unless it exists; answer whether this call made it.

    Two processes starting at once both try; the file is published with a hard link, which
    fails if the other one got there first, so neither overwrites the other's secret.
    """
    private_dir(path.parent)
    partial = _partial(path)
    _write_new(partial, data)
    try:
        os.link(partial, path)
    except FileExistsError:
        return False
    finally:
        partial.unlink()
    return True


def touch_private(path: Path) -> None:
    """Make an empty ``path`` (0600) if it does not exist, so what opens it later keeps 0600."""
    private_dir(path.parent)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(descriptor)


def _partial(path: Path) -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")


def _write_new(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(descriptor, "wb") as file:
        os.fchmod(file.fileno(), FILE_MODE)  # the umask may have taken bits off: put them back
        file.write(data)
