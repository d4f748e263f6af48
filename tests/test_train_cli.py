"""train.py refuses what it cannot do with one line (`error: ...`, exit 1) or an argparse message (exit 2), never a
traceback, and finds what it can before the data loads. No test here trains."""

import argparse
from dataclasses import asdict

import pytest
import torch

import train
from sslmodel import trainer
from sslmodel.trainer import CHECKPOINT_NAME

SMALL = ["--arch-config", '{"width": 8}', "--batch-size", "8", "--val-images-per-epoch", "4", "--epochs", "2"]


def error_line(capsys) -> str:
    """The one line train.py printed on stderr."""
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    return lines[0]


@pytest.fixture
def no_data_load(monkeypatch):
    """Fails the test if the data would be loaded: these refusals must come first."""
    def refuse(*args, **kwargs):
        raise AssertionError("the data was loaded before the refusal")
    monkeypatch.setattr(trainer, "load_dataset", refuse)


def write_checkpoint(out, argv: list[str], world_size: int = 1) -> None:
    """A checkpoint as the run of `argv` writes it, with empty states: enough for every check before they load."""
    config = train.make_config(train.parse_args(argv))
    state = {"model": {}, "optimizer": {}, "scheduler": {}, "epoch": 1, "history": [], "elapsed_seconds": 1.0,
             "config": asdict(config), "world_size": world_size}
    out.mkdir(parents=True, exist_ok=True)
    torch.save(state, out / CHECKPOINT_NAME)


@pytest.mark.parametrize("flags, message", [
    (["--epochs", "0"], "must be positive"),
    (["--epochs", "1.5"], "not a whole number"),
    (["--lr", "-1"], "must be positive"),
    (["--lr", "inf"], "finite"),
    (["--lr", "nan"], "finite"),
    (["--weight-decay", "nan"], "finite"),
    (["--weight-decay", "-1"], "at least 0"),
    (["--threads", "-1"], "at least 0"),
    (["--val-images-per-epoch", "0"], "must be positive"),
    (["--arch-config", "[1]"], "JSON object"),
    (["--arch-config", "{width: 8"], "not valid JSON"),
    (["--holes", "spiral"], "invalid choice"),
    (["--arch", "nope"], "invalid choice"),
])
def test_bad_flags_are_refused_by_argparse(flags, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        train.parse_args(flags)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_numbers_that_are_fine_pass():
    args = train.parse_args(["--lr", "1e-3", "--weight-decay", "0", "--threads", "0", "--seed", "-3"])
    assert (args.lr, args.weight_decay, args.threads, args.seed) == (1e-3, 0.0, 0, -3)


@pytest.mark.parametrize("flags, message", [
    (["--arch-config", '{"bogus": 1}'], "does not fit dilated_unet (it takes: width, context_dilations)"),
    (["--arch-config", '{"width": -1}'], "does not fit dilated_unet"),
    (["--device", "bogus"], "unknown device 'bogus'"),
    (["--device", "cuda:999"], "unknown device 'cuda:999'"),  # torch alone reads it as cuda:-25
])
def test_settings_that_cannot_work_are_refused_before_the_data_loads(tmp_path, capsys, no_data_load, flags,
                                                                     message):
    assert train.main(["--data", str(tmp_path / "data"), "--out", str(tmp_path / "out"), *flags]) == 1
    assert message in error_line(capsys)


@pytest.mark.parametrize("device", ["cuda", "cuda:1"])
def test_cuda_without_a_gpu_is_refused(tmp_path, capsys, no_data_load, monkeypatch, device):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert train.main(["--data", str(tmp_path), "--out", str(tmp_path / "out"), "--device", device]) == 1
    assert f"device '{device}' is not available: this machine has 0 CUDA GPU(s)" in error_line(capsys)


@pytest.mark.parametrize("out", ["file", "file/run"])
def test_an_out_that_is_a_file_is_refused_before_the_data_loads(tmp_path, capsys, no_data_load, out):
    (tmp_path / "file").write_text("not a folder")
    assert train.main(["--data", str(tmp_path), "--out", str(tmp_path / out)]) == 1
    assert f"{tmp_path / 'file'} is a file, not a folder" in error_line(capsys)


def test_unusable_data_is_refused(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    (tmp_path / "file.png").write_text("")
    for data, message in (("empty", "no images"), ("missing", "does not exist"), ("file.png", "is a file")):
        assert train.main(["--data", str(tmp_path / data), "--out", str(tmp_path / "out")]) == 1
        assert message in error_line(capsys)
    assert not (tmp_path / "out").exists()


def test_resume_without_a_checkpoint_is_refused(tmp_path, capsys, no_data_load):
    assert train.main(["--data", str(tmp_path), "--out", str(tmp_path / "out"), "--resume"]) == 1
    assert f"no {CHECKPOINT_NAME} in {tmp_path / 'out'} to resume; drop --resume" in error_line(capsys)


@pytest.mark.parametrize("content", [b"", b"garbage", "truncated", "pickled object"])
def test_a_broken_checkpoint_is_refused_in_one_line(tmp_path, capsys, no_data_load, content):
    argv = ["--data", str(tmp_path), "--out", str(tmp_path / "out"), *SMALL]
    write_checkpoint(tmp_path / "out", argv)
    path = tmp_path / "out" / CHECKPOINT_NAME
    if content == "truncated":
        path.write_bytes(path.read_bytes()[:200])
    elif content == "pickled object":  # loads only with weights_only=False: an argparse.Namespace inside
        torch.save({"config": argparse.Namespace(lr=1.0)}, path)
    else:
        path.write_bytes(content)
    before = path.read_bytes()
    assert train.main([*argv, "--resume"]) == 1
    assert "move it away to start a new run" in error_line(capsys)
    assert path.read_bytes() == before


def test_resume_with_another_recipe_names_every_change(tmp_path, capsys, no_data_load):
    argv = ["--data", str(tmp_path), "--out", str(tmp_path / "out"), *SMALL]
    write_checkpoint(tmp_path / "out", argv)
    changed = ["--epochs", "3", "--lr", "0.001", "--no-augment", "--holes", "boxes", "--seed", "1",
               "--arch-config", '{"width": 16}']
    assert train.main([*argv, *changed, "--resume"]) == 1
    line = error_line(capsys)
    for change in ("--epochs 2 -> 3", "--lr 0.003 -> 0.001", "--augment True -> False", "--holes mixed -> boxes",
                   "--seed 0 -> 1", '--arch-config {"width": 8} -> {"width": 16}'):
        assert change in line, change
    assert "--batch-size" not in line and "--weight-decay" not in line


def test_every_recipe_field_and_the_process_count_are_compared():
    saved = {"config": asdict(trainer.TrainConfig()), "world_size": 2}
    assert trainer.recipe_changes(saved, trainer.TrainConfig(), 2) == []
    assert trainer.recipe_changes(saved, trainer.TrainConfig(), 1) == ["processes 2 -> 1"]
    changed = trainer.TrainConfig(holes="boxes", epochs=3, batch_size=4, lr=1.0, weight_decay=0.0, schedule="constant",
                                  loss="mse", loss_region="all", augment=False, seed=5, arch="tutorial")
    named = [change.split()[0] for change in trainer.recipe_changes(saved, changed, 2)]
    assert named == ["--arch", "--holes", "--epochs", "--batch-size", "--lr", "--weight-decay", "--schedule",
                     "--loss", "--loss-region", "--augment", "--seed"]
    unrelated = trainer.TrainConfig(data="elsewhere", device="cpu", threads=1, val_images_per_epoch=8)
    assert trainer.recipe_changes(saved, unrelated, 2) == []


def test_resume_with_the_same_recipe_gets_past_the_check(image_folder, tmp_path, capsys):
    argv = ["--data", str(image_folder), "--out", str(tmp_path / "out"), *SMALL]
    write_checkpoint(tmp_path / "out", argv)  # its empty model state does not fit: refused after the check
    assert train.main([*argv, "--resume"]) == 1
    assert "does not fit this model" in error_line(capsys)
