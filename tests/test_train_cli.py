"""train.py refuses what it cannot do with one line (`error: ...`, exit 1) or an argparse message (exit 2), never a
traceback, and finds what it can before the data loads. No test here trains."""

import argparse
from dataclasses import asdict, replace

import pytest
import torch

import train
from sslmodel import checkpoint, device, trainer
from sslmodel.bundle import DEFAULT_MODEL, PRETRAINED_DIR, read_config
from sslmodel.engine import Recipe
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
    recipe = replace(config.recipe, precision=device.pick_precision(config.recipe.precision, torch.device("cpu")))
    config = replace(config, recipe=recipe, compile=trainer.compiles(config))  # as the run resolves them
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
    (["--precision", "fp16"], "invalid choice"),
    (["--contrastive-weight", "-0.5"], "at least 0"),
    (["--contrastive-weight", "nan"], "finite"),
    (["--temperature", "0"], "must be positive"),
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


def run_changes(saved: dict, config: trainer.TrainConfig, world_size: int) -> list[str]:
    return checkpoint.changes(saved, asdict(config), world_size)


def test_every_recipe_field_and_the_process_count_are_compared():
    saved = {"config": asdict(trainer.TrainConfig()), "world_size": 2}
    assert run_changes(saved, trainer.TrainConfig(), 2) == []
    assert run_changes(saved, trainer.TrainConfig(), 1) == ["processes 2 -> 1"]
    recipe = Recipe(holes="boxes", epochs=3, batch_size=4, lr=1.0, weight_decay=0.0, schedule="constant", loss="mse",
                    loss_region="all", augment=False, contrastive_weight=0.0, contrastive_stages="deep",
                    contrastive_warmup=1.0, view_holes=True, temperature=0.1, seed=5, precision="bf16")
    changed = trainer.TrainConfig(arch="tutorial", recipe=recipe)
    named = [change.split()[0] for change in run_changes(saved, changed, 2)]
    assert named == ["--arch", "--holes", "--epochs", "--batch-size", "--lr", "--weight-decay", "--schedule",
                     "--loss", "--loss-region", "--augment", "--contrastive-weight", "--contrastive-stages",
                     "--contrastive-warmup", "--view-holes", "--temperature", "--seed", "--precision"]
    unrelated = trainer.TrainConfig(data="elsewhere", device="cpu", threads=1, val_images_per_epoch=8, compile=False)
    assert run_changes(saved, unrelated, 2) == []
    older = asdict(trainer.TrainConfig())
    older["recipe"] = {k: v for k, v in older["recipe"].items() if k != "precision"}
    assert run_changes({"config": older, "world_size": 2}, changed, 2)[-1].startswith("--seed"), \
        "no precision before it was recorded"


@pytest.mark.parametrize("flags", [[], ["--precision", "auto"]])
def test_auto_precision_follows_the_cpu(monkeypatch, flags):
    cpu = torch.device("cpu")
    monkeypatch.setattr(device, "cpu_flags", lambda: {"avx2", "avx512_bf16"})
    assert device.pick_precision(train.make_config(train.parse_args(flags)).recipe.precision, cpu) == "bf16"
    monkeypatch.setattr(device, "cpu_flags", lambda: {"avx2", "amx_bf16", "amx_tile"})
    assert device.pick_precision("auto", cpu) == "bf16"
    monkeypatch.setattr(device, "cpu_flags", lambda: {"avx2", "avx512f"})  # AVX-512 without bf16: emulated, slow
    assert device.pick_precision("auto", cpu) == "fp32"
    assert device.pick_precision("bf16", cpu) == "bf16" and device.pick_precision("fp32", cpu) == "fp32"
    with pytest.raises(device.DeviceError, match="unknown precision"):
        device.pick_precision("fp16", cpu)


def test_the_cpu_flags_are_read():
    flags = device.cpu_flags()
    assert isinstance(flags, set) and (not flags or "fpu" in flags or "sse2" in flags)


def test_the_checkpoint_records_the_precision_used_and_resume_must_match_it(tmp_path, capsys, no_data_load,
                                                                            monkeypatch):
    """auto is resolved before it is saved: a run that auto made bf16 cannot go on in fp32, even under auto."""
    monkeypatch.setattr(device, "cpu_flags", lambda: {"avx512_bf16"})
    argv = ["--data", str(tmp_path), "--out", str(tmp_path / "out"), *SMALL]
    write_checkpoint(tmp_path / "out", argv)
    assert torch.load(tmp_path / "out" / CHECKPOINT_NAME, weights_only=True)["config"]["recipe"]["precision"] == "bf16"
    monkeypatch.setattr(device, "cpu_flags", lambda: set())  # resumed on a CPU without bf16
    assert train.main([*argv, "--resume"]) == 1
    assert "--precision bf16 -> fp32" in error_line(capsys)
    assert train.main([*argv, "--precision", "fp32", "--resume"]) == 1
    assert "--precision bf16 -> fp32" in error_line(capsys)
    setup = trainer.set_up(train.make_config(train.parse_args([*argv, "--precision", "bf16"])))
    assert trainer.resume_state(setup, resume=True)["epoch"] == 1, \
        "asked for by name, bf16 goes on (slowly, with a warning)"
    assert "no fast bfloat16 kernels" in capsys.readouterr().out


def test_a_run_flushes_denormal_floats_to_zero(tmp_path):
    try:
        torch.set_flush_denormal(False)  # an earlier run in this process may have turned it on
        denormal = torch.tensor([1e-39])  # below float32's smallest normal number (1.2e-38)
        assert (denormal * 2).item() > 0
        trainer.set_up(train.make_config(train.parse_args(["--data", str(tmp_path), "--out", str(tmp_path / "o")])))
        assert (denormal * 2).item() == 0, "the CPU computes denormals slowly; a run flushes them to zero"
    finally:
        torch.set_flush_denormal(False)


def test_resume_with_the_same_recipe_gets_past_the_check(image_folder, tmp_path, capsys):
    argv = ["--data", str(image_folder), "--out", str(tmp_path / "out"), *SMALL]
    write_checkpoint(tmp_path / "out", argv)  # its empty model state does not fit: refused after the check
    assert train.main([*argv, "--resume"]) == 1
    assert "does not fit this model" in error_line(capsys)


def test_a_bare_train_py_is_the_shipped_defaults_recipe():
    """`python train.py --data D --out O` trains what `pretrained/default` is: its architecture and every recipe
    field; only the precision differs: "auto" here, what auto resolved to on the training machine there."""
    shipped = read_config(PRETRAINED_DIR / DEFAULT_MODEL)
    bare = train.make_config(train.parse_args(["--data", "data/train", "--out", "runs/default"]))
    assert (bare.arch, bare.arch_config) == (shipped.arch, shipped.arch_config)
    assert replace(bare.recipe, precision="auto") == replace(shipped.recipe, precision="auto")
    assert bare.recipe.precision == "auto" and shipped.recipe.precision in ("fp32", "bf16")
    assert shipped.training.epochs_completed == shipped.recipe.epochs, "the shipped run finished its epochs"
