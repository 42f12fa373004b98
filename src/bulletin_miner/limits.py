"""What one document may cost the readers, and how input files are opened.

A worker sets these once, from the run's options (batch.Budget); the
defaults are the documented ones. Every reader bounds what a file can make
it build by these, never by a number written in the file.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bulletin_miner.errors import BulletinError, ErrorKind

if TYPE_CHECKING:
    from bulletin_miner.ingest.warc import Capture


@dataclass
class Limits:
    # characters of text kept from one document, whatever its format (a longer
    # one is cut there, with a warning)
    max_chars: int = 5_000_000
    # bytes an archive member (a .docx's document.xml, an OFD page) may inflate
    # to, counted as it inflates, not as the archive declares
    max_member_bytes: int = 64 * 1024 * 1024
    # pages read from a PDF or an OFD (more are left out, with a warning)
    max_pages: int = 300
    # a symbolic link is read only when asked, and then only to a regular file
    follow_symlinks: bool = False


LIMITS = Limits()


def shown(path: str | os.PathLike[str] | Capture) -> str:
    """A file name as tables and messages hold it: any bytes that are not
    UTF-8 (a name from a GBK or Windows disk) escaped, never a crash.

    >>> shown("通报.txt"), shown(os.fsdecode(b"\\xb1\\xa8.txt"))
    ('通报.txt', '\\\\xb1\\\\xa8.txt')
    """
    if not isinstance(path, (str, os.PathLike)):  # a capture in a web archive: archive#record
        return str(path.source_path)
    return os.fsencode(os.fspath(path)).decode("utf-8", "backslashreplace")


def open_regular(path: str | os.PathLike[str], follow_symlinks: bool | None = None) -> int:
    """A descriptor for a regular file, checked on the descriptor itself: a
    link is not followed (unless asked), and a pipe, device or socket put in
    a file's place is refused, never waited on (opened without blocking)."""
    follow = LIMITS.follow_symlinks if follow_symlinks is None else follow_symlinks
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    name = shown(path)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise BulletinError(ErrorKind.NOT_FOUND, "the file does not exist (or vanished)", path=name) from None
    except OSError as err:
        if not follow and os.path.islink(path):
            raise BulletinError(
                ErrorKind.SYMLINK, "a symbolic link: not followed (--follow-symlinks reads links to regular files)", path=name
            ) from None
        raise BulletinError(ErrorKind.UNREADABLE, f"cannot open: {err.strerror}", path=name) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise BulletinError(ErrorKind.UNREADABLE, "not a regular file (a pipe, socket or device); not read", path=name)
    return fd


def read_regular(path: str | os.PathLike[str], max_bytes: int) -> bytes:
    """A regular file's bytes (see open_regular), refused over `max_bytes`."""
    fd = open_regular(path)
    name = shown(path)
    try:
        size = os.fstat(fd).st_size
        if size > max_bytes:
            raise BulletinError(ErrorKind.TOO_LARGE, f"{size} bytes is over the {max_bytes}-byte limit", path=name)
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if total > max_bytes:  # grew while being read
                raise BulletinError(ErrorKind.TOO_LARGE, f"over the {max_bytes}-byte limit (it grew while being read)", path=name)
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as err:
        raise BulletinError(ErrorKind.UNREADABLE, f"cannot read: {err.strerror}", path=name) from None
    finally:
        os.close(fd)
