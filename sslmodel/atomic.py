"""Atomic file writes: write a temporary file beside the target, flush it to disk, then rename it into place,
so a crash never leaves a half-written checkpoint or bundle file."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path


def create_temporary(target: Path) -> Path:
    """An empty new file beside `target` (a hidden name ending in .tmp), created with the permissions any new file
    gets (0o666 less the umask, as open() would give), unlike tempfile.mkstemp's 0o600."""
    for _ in range(100):
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {target}")


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_path(target: str | os.PathLike, durable: bool = True) -> Iterator[Path]:
    """Yields a temporary path to write; on success it replaces `target` in one rename. If the block raises,
    `target` is left as it was and the temporary file is removed. With `durable` (the default) the file is
    fsynced before the rename and the folder after it, so the new file survives a power cut too; pass False
    for throwaway files where the fsync's latency matters more."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = create_temporary(target)
    try:
        yield tmp
        if durable:
            fsync_path(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)
    if durable:
        with suppress(OSError):  # not every platform or file system can fsync a folder
            fsync_path(target.parent)


def write_text(target: str | os.PathLike, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
