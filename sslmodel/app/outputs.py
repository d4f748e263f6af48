"""The PNG files the page's handlers return, and their clean-up on a server that runs for days.

Each picture is written once, atomically, under a content-derived name in a folder of this process's own.
Gradio copies a returned file into its cache after the handler returns, so a file must outlive the call that
returned it: returning a file again refreshes its age, pruning only removes files nobody returned for
`max_age` seconds (and the oldest first when the folder outgrows `max_bytes`), and one lock keeps a prune
from deleting a file that a handler is handing out at the same moment.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
import time
import weakref
from pathlib import Path

import numpy as np
from PIL import Image

from ..atomic import atomic_path
from ..convert import png_bytes

OUTPUT_MAX_AGE = 3600  # seconds a PNG is kept after it was last returned
OUTPUT_MAX_BYTES = 200 * 2**20  # the folder's bound; a page view writes about 50 KB
UPLOAD_MAX_BYTES = 256 * 2**20  # Gradio's upload and cache folder's bound, beside its hourly deletion by age
GRACE = 60  # seconds: a file returned this recently is never deleted (Gradio has yet to copy it)


class ServerStopping(RuntimeError):
    """A picture was asked for after the server began to stop and its folder was removed."""


def remove_for_good(folder: Path, lock: threading.Lock, stopped: threading.Event) -> None:
    """Remove `folder` once no picture is being written into it, and refuse every picture after."""
    with lock:
        stopped.set()
        shutil.rmtree(folder, ignore_errors=True)


class OutputFiles:
    """PNG files for the pictures handlers return (Gradio's own array cache overwrites a shared file under
    concurrent readers; a returned path is instead copied into Gradio's cache, atomically)."""

    def __init__(self, folder: str | os.PathLike | None = None, max_age: float = OUTPUT_MAX_AGE,
                 max_bytes: int = OUTPUT_MAX_BYTES, upload_dir: str | os.PathLike | None = None, grace: float = GRACE):
        self.lock, self.stopped = threading.Lock(), threading.Event()
        self.remove_folder = None
        if folder is None:  # a folder per process: two servers on one machine never prune each other's files
            folder = tempfile.mkdtemp(prefix="sslmodel-app-")
            # At exit (Ctrl+C, SIGTERM) a handler may still be running in a worker thread: the folder goes once no
            # picture is being written, and none is written after.
            self.remove_folder = weakref.finalize(self, remove_for_good, Path(folder), self.lock, self.stopped)
        self.folder, self.max_age, self.max_bytes, self.grace = Path(folder), max_age, max_bytes, grace
        self.folder.mkdir(parents=True, exist_ok=True)
        self.upload_dir = Path(upload_dir) if upload_dir else None  # Gradio's, swept of its empty leftovers
        self.pruned_at = time.time()

    def stop(self) -> None:
        """Refuse every picture from now on (once the one being written is done); a folder of its own is removed."""
        if self.remove_folder is not None:
            self.remove_folder()
            return
        with self.lock:
            self.stopped.set()

    def png(self, image: np.ndarray | Image.Image, name: str = "image") -> str:
        data = png_bytes(image)
        path = self.folder / hashlib.sha256(data).hexdigest()[:20] / f"{name}.png"
        with self.lock:
            if self.stopped.is_set():
                raise ServerStopping("the server is stopping")
            if path.exists():
                os.utime(path)  # returned again: it lives for another max_age
            else:
                path.parent.mkdir(exist_ok=True)  # never parents: a removed folder stays removed
                with atomic_path(path, durable=False) as tmp:  # throwaway: no fsync on the request's path
                    tmp.write_bytes(data)
            if time.time() - self.pruned_at >= min(self.max_age / 10, self.grace):
                self.prune()
        return str(path)

    def prune(self) -> None:
        """Delete files not returned for max_age, then the oldest until the folder fits max_bytes, then empty
        folders. A file returned in the last `grace` seconds is never deleted. Called with the lock held."""
        now = self.pruned_at = time.time()
        files = []
        for path in self.folder.glob("*/*.png"):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            files.append((stat.st_mtime, stat.st_size, path))
        files.sort()
        total = sum(size for _, size, _ in files)
        for mtime, size, path in files:
            if now - mtime > self.grace and (now - mtime > self.max_age or total > self.max_bytes):
                path.unlink(missing_ok=True)
                total -= size
        for folder in self.folder.iterdir():
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        if self.upload_dir:
            sweep_upload_leftovers(self.upload_dir, now - self.grace)

    def usage(self) -> tuple[int, int]:
        """(files, bytes) in the folder now."""
        sizes = [path.stat().st_size for path in self.folder.glob("*/*.png")]
        return len(sizes), sum(sizes)


def sweep_upload_leftovers(upload_dir: Path, before: float, max_bytes: int = UPLOAD_MAX_BYTES) -> None:
    """Bound Gradio's upload and cache folder, which Gradio itself empties only by age (delete_cache, hourly):
    - the empty `tmp*` files its upload parser leaves, one per uploaded file (Gradio 6 copies each upload into its
      cache and never removes the empty temporary file it started with);
    - then, while the folder holds more than `max_bytes`, its oldest files (uploads and the copies of returned
      pictures), so a burst of traffic cannot fill a disk before the hour is up; then the folders this empties.
    Only files untouched since `before` go: an upload still being received, or a picture a client is about to
    fetch, is newer than that."""
    files = []
    for path in Path(upload_dir).rglob("*"):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        if not path.is_file():
            continue
        if path.parent == Path(upload_dir) and path.name.startswith("tmp") and stat.st_size == 0:
            if stat.st_mtime < before:
                path.unlink(missing_ok=True)
            continue
        files.append((stat.st_mtime, stat.st_size, path))
    total = sum(size for _, size, _ in files)
    for mtime, size, path in sorted(files):
        if total <= max_bytes or mtime >= before:
            break
        path.unlink(missing_ok=True)
        total -= size
        if path.parent != Path(upload_dir) and not any(path.parent.iterdir()):
            path.parent.rmdir()
