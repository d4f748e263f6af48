import os
import stat
from pathlib import Path

import pytest

from sslmodel import atomic
from sslmodel.atomic import atomic_path, write_text


@pytest.fixture(params=[0o022, 0o027])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_written_file_gets_the_permissions_of_any_new_file(tmp_path, umask):
    with open(tmp_path / "plain.txt", "w") as f:
        f.write("made the ordinary way")
    write_text(tmp_path / "atomic.txt", "made atomically")
    with atomic_path(tmp_path / "sub" / "atomic.bin") as tmp:
        tmp.write_bytes(b"\x00\x01")
    assert mode(tmp_path / "atomic.txt") == mode(tmp_path / "sub" / "atomic.bin") == mode(tmp_path / "plain.txt")
    assert mode(tmp_path / "plain.txt") == 0o666 & ~umask  # not mkstemp's 0o600


def test_a_failure_inside_the_block_leaves_the_old_file_and_no_temporary_file(tmp_path):
    target = tmp_path / "checkpoint.pt"
    write_text(target, "old")
    with pytest.raises(RuntimeError, match="disk full"), atomic_path(target) as tmp:
        tmp.write_text("half of the new")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]


def test_the_file_is_flushed_to_disk_before_the_rename_and_the_folder_after(tmp_path, monkeypatch):
    events, real_fsync, real_replace = [], os.fsync, os.replace

    def fsync(fd):
        info = os.fstat(fd)
        events.append(("fsync folder" if stat.S_ISDIR(info.st_mode) else "fsync file", info.st_ino))
        real_fsync(fd)

    def replace(src, dst):
        events.append(("replace", os.stat(src).st_ino))
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    monkeypatch.setattr(atomic.os, "replace", replace)
    write_text(tmp_path / "config.json", "{}\n")
    file, folder = (tmp_path / "config.json").stat().st_ino, tmp_path.stat().st_ino
    assert events == [("fsync file", file), ("replace", file), ("fsync folder", folder)]
    events.clear()
    with atomic_path(tmp_path / "frame.png", durable=False) as tmp:
        tmp.write_bytes(b"throwaway")
    assert [kind for kind, _ in events] == ["replace"]
