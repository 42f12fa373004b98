"""What a run reads: the files named or found under folders, each a regular
file, hashed as it is read. A link is not followed unless asked; a pipe, a
device or a socket is named in an error row, never opened; a name in any
byte encoding is carried through (shown escaped)."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from bulletin_miner.config import MAX_INPUT_BYTES
from bulletin_miner.errors import BulletinError, ErrorKind
from bulletin_miner.limits import open_regular, shown


def input_files(paths: Sequence[Path | str], follow_symlinks: bool = False) -> tuple[list[Path], list[BulletinError]]:
    """Files named or found (recursively, hidden ones left out) under the given
    paths, in a stable order, and an error for each that is not a regular file."""
    files: list[Path] = []
    errors: list[BulletinError] = []
    for raw in paths:
        path = Path(raw)
        kind = _kind(path, follow_symlinks)
        if kind == "dir":
            _walk(path, follow_symlinks, files, errors)
        elif kind == "file":
            files.append(path)
        else:
            errors.append(_not_read(path, kind))
    return files, errors


def _walk(folder: Path, follow_symlinks: bool, files: list[Path], errors: list[BulletinError]) -> None:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: os.fsencode(e.name))
    except OSError as err:
        errors.append(BulletinError(ErrorKind.UNREADABLE, f"cannot list the folder: {err.strerror}", path=shown(folder)))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        kind = _kind(path, follow_symlinks)
        if kind == "dir" and not (entry.is_symlink() and not follow_symlinks):
            _walk(path, follow_symlinks, files, errors)
        elif kind == "file":
            files.append(path)
        else:
            errors.append(_not_read(path, kind))


def _kind(path: Path, follow_symlinks: bool) -> str:
    """file, dir, link (not followed), broken link, special (a pipe, socket or device) or missing."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return "missing"
    except OSError:
        return "special"
    if stat.S_ISLNK(mode):
        if not follow_symlinks:
            return "link"
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return "broken link"
    if stat.S_ISDIR(mode):
        return "dir"
    return "file" if stat.S_ISREG(mode) else "special"


def _not_read(path: Path, kind: str) -> BulletinError:
    name = shown(path)
    if kind == "link":
        return BulletinError(ErrorKind.SYMLINK, "a symbolic link: not followed (--follow-symlinks reads links to regular files)", path=name)
    if kind == "broken link":
        return BulletinError(ErrorKind.NOT_FOUND, "a link to a file that does not exist", path=name)
    if kind == "special":  # reading a pipe or a device could wait for ever
        return BulletinError(ErrorKind.UNREADABLE, "not a regular file (a pipe, socket or device); not read", path=name)
    return BulletinError(ErrorKind.NOT_FOUND, "no such file or folder", path=name)


# The most read at once while hashing: a large file's bytes never sit whole in memory.
HASH_CHUNK_BYTES = 1 << 20


def content_hash(path: Path, follow_symlinks: bool = False) -> str:
    """The doc_id of a file's content (the first 16 hex digits of its SHA-256,
    as ingest.content_id), read in chunks from the descriptor checked to be a
    regular file's."""
    fd = open_regular(path, follow_symlinks)
    try:
        size = os.fstat(fd).st_size
        if size > MAX_INPUT_BYTES:
            raise BulletinError(ErrorKind.TOO_LARGE, f"{size} bytes is over the {MAX_INPUT_BYTES}-byte limit", path=shown(path))
        # os.read straight from the descriptor, a file in one read when it is
        # small: hashlib.file_digest over a buffered file took 3 times as long
        # for a page of 20 KB (a 256 KiB buffer set up for every file)
        digest, chunk = hashlib.sha256(), min(size + 1, HASH_CHUNK_BYTES)
        while data := os.read(fd, chunk):
            digest.update(data)
        return digest.hexdigest()[:16]
    except OSError as err:
        raise BulletinError(ErrorKind.UNREADABLE, f"cannot read: {err.strerror}", path=shown(path)) from None
    finally:
        os.close(fd)
