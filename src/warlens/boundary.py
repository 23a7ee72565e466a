"""The data folder as a boundary: what may be read, and how much of it.

A data folder is often shared (a git repository, a tar or zip from a colleague), and
all of those carry symbolic links. So nothing outside the folder is read, whatever the
links say: every file and every side file a reader opens (a brat .txt, TimeMap's
sources, a label map) is resolved and must lie inside the folder; only regular files
are read (a FIFO would hang the loader, /dev/zero would fill the memory); and every
read has a byte cap checked before the first byte is read and enforced while reading.

A refusal is a `Refused` error (an OSError, so every reader's existing "cannot be
read" path reports it as a problem of that file): one bad file never hides the others.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["CAPS", "Refused", "contained", "inside", "is_regular", "read_bytes"]

_MB = 1_000_000
#: The most each kind of file may hold, in bytes. Native articles share yamlio's 5 MB.
CAPS: dict[str, int] = {
    "article": 5 * _MB,           # a native YAML article (yamlio.MAX_BYTES)
    "dataset": 512 * _MB,         # an ACLED or UCDP CSV export (a country file is 10-150 MB)
    "export": 256 * _MB,          # a Label Studio export, TimeMap's export_events.json
    "side": 64 * _MB,             # TimeMap's sources and associations
    "annotations": 20 * _MB,      # a brat .ann
    "text": 10 * _MB,             # a brat .txt: an article, not a book
    "labels": 1 * _MB,            # a .warlens-labels.yaml label map
}
_CHUNK = 1 << 20
_KINDS = {stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFCHR: "a character device",
          stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a folder"}


class Refused(OSError):
    """A file that is not read: outside the data folder, not a regular file, or too big.

    `strerror` holds the reason in words, as the readers' "cannot be read: ..." shows it.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.strerror = reason


def inside(real: str, root_real: str) -> bool:
    """Whether the resolved path `real` is `root_real` or lies under it."""
    return real == root_real or real.startswith(root_real.rstrip(os.sep) + os.sep)


def contained(path: Path | str, root: Path | str | None) -> str:
    """`path` resolved (every symbolic link followed); Refused if that leaves `root`.

    With `root` None nothing is checked but the resolving.
    """
    real = os.path.realpath(path)
    if root is not None and not inside(real, os.path.realpath(root)):
        what = "is a symbolic link" if Path(path).is_symlink() \
            else "lies behind a symbolic link"
        raise Refused(f"{what} leading outside the data folder; not followed")
    return real


def _kind(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def is_regular(path: Path | str, root: Path | str | None = None) -> bool:
    """Whether `path` is a regular file inside `root` (never raises, never opens it)."""
    try:
        real = contained(path, root)
        return stat.S_ISREG(os.stat(real).st_mode)  # noqa: PTH116
    except OSError:
        return False


def read_bytes(path: Path | str, limit: int, root: Path | str | None = None,
               what: str = "this kind of file") -> bytes:
    """The bytes of a regular file inside `root`, at most `limit` of them.

    Raises Refused (an OSError) for a file outside `root`, one that is not a regular
    file, or one above `limit` bytes: the size is checked before reading (stat, then
    fstat on the opened file, which cannot be swapped under us) and the read itself
    stops one byte past the limit, so a file that grows while read is refused too.
    Other OSErrors (missing, no permission) pass through.
    """
    real = contained(path, root)
    st = os.stat(real)  # noqa: PTH116 - a FIFO's stat does not block, its open would
    if not stat.S_ISREG(st.st_mode):
        raise Refused(f"is {_kind(st.st_mode)}, not a regular file; not read")
    if st.st_size > limit:
        raise Refused(_too_big(st.st_size, limit, what))
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) \
        | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(real, flags)
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):
            raise Refused(f"is {_kind(opened.st_mode)}, not a regular file; not read")
        chunks: list[bytes] = []
        got = 0
        while got <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        if got > limit:
            raise Refused(f"grew past the limit of {limit:,} bytes for {what} while it "
                          "was read; not read")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _too_big(size: int, limit: int, what: str) -> str:
    return f"is {size:,} bytes, over the limit of {limit:,} bytes for {what}; not read"
