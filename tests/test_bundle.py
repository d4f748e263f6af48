import io
import json
import shutil
from pathlib import Path
from unittest import mock

import huggingface_hub
import numpy as np
import pytest
import torch
from huggingface_hub import ModelCard, metadata_load
from huggingface_hub.file_download import repo_folder_name
from huggingface_hub.utils import filter_repo_objects
from PIL import Image

from conftest import make_bundle, smooth_images
from sslmodel import BundleError, Inpainter, build_model, load_bundle, push_bundle, save_bundle, shipped_models
from sslmodel.app.showcase import list_frames
from sslmodel.bundle import BUNDLE_PATTERNS, CARD_NAME, CONFIG_NAME, WEIGHTS_NAME, resolve
from sslmodel.card import model_card
from sslmodel.holes import FAMILY_LABELS
from sslmodel.probe import PROBE_CONFIG, PROBE_WEIGHTS, LinearFit, Probe, load_probes, save_probes


def test_save_then_load_gives_identical_outputs(tmp_path):
    folder = make_bundle(tmp_path / "b", width=16, seed=3)
    images, holes = smooth_images(4), np.random.default_rng(1).random((4, 32, 32)) < 0.4
    first = Inpainter.from_pretrained(folder).reconstruct(images, holes)
    model, config = load_bundle(folder)
    second_folder = tmp_path / "again"
    save_bundle(model, second_folder, config)
    assert np.array_equal(first, Inpainter.from_pretrained(second_folder).reconstruct(images, holes))
    assert not np.array_equal(first, Inpainter.from_pretrained(make_bundle(tmp_path / "c", width=16, seed=4))
                              .reconstruct(images, holes)), "a different model must give different outputs"


def test_bundle_files_and_model_card(bundle):
    assert {p.name for p in bundle.iterdir()} >= {WEIGHTS_NAME, CONFIG_NAME, CARD_NAME}
    config = json.loads((bundle / CONFIG_NAME).read_text())
    assert config["arch"] == "dilated_unet" and config["arch_config"] == {"width": 16}
    card = (bundle / CARD_NAME).read_text()
    assert card.startswith("---\n") and "library_name: sslmodel" in card
    assert "| pixels 50% | 20.00 |" in card and "python train.py --test" in card
    assert "Inpainter.from_pretrained" in card


def test_the_card_says_which_objective_trained_the_weights():
    config = {"arch": "dilated_unet", "recipe": {"loss": "l1", "loss_region": "hole"}}
    assert "- objective: inpainting (L1 over the missing pixels) alone" in model_card(config)
    config["recipe"] |= {"contrastive_weight": 0.5, "temperature": 0.2}
    assert "inpainting (L1 over the missing pixels) + 0.5 x NT-Xent (temperature 0.2)" in model_card(config)
    assert "colour jitter 0.4, grayscale 20%" in model_card(config) and "scaled" not in model_card(config)
    config["recipe"] |= {"joint_loss": "vicreg", "small_crops": 2, "view_jitter": 0.0, "view_gray": 0.0,
                         "encoder_grad_scale": 0.2}
    card = model_card(config)
    assert "+ 0.5 x VICReg" in card and "2 small 16x16 crops" in card and "colours kept" in card
    assert "gradient into the shared encoder is scaled by 0.2" in card


def test_the_card_carries_the_metrics_as_a_model_index(bundle, tmp_path):
    results = ModelCard((bundle / CARD_NAME).read_text()).data.eval_results
    assert [(r.metric_type, r.metric_name, r.metric_value) for r in results] == [
        ("psnr", f"hole PSNR, {FAMILY_LABELS['pixels']}", 20.0), ("ssim", f"SSIM, {FAMILY_LABELS['pixels']}", 0.9)]
    assert {(r.task_type, r.dataset_type, r.dataset_name) for r in results} == {("image-to-image", "cifar10",
                                                                                 "CIFAR-10")}
    # every family with a score, SSIM only where there is one; the card's YAML as the Hub reads it
    metrics = {"center": {"hole_psnr": 17.2894, "psnr": 23.3, "ssim": 0.69817}, "strokes": {"hole_psnr": 22.8207}}
    card = tmp_path / CARD_NAME
    card.write_text(model_card({"arch": "dilated_unet", "metrics": metrics}))
    index = metadata_load(card)["model-index"]
    assert index[0]["name"] == "sslmodel-dilated_unet"
    found = {m["name"]: (m["type"], m["value"]) for result in index[0]["results"] for m in result["metrics"]}
    assert found == {"hole PSNR, center 16x16": ("psnr", 17.29), "hole PSNR, strokes": ("psnr", 22.82),
                     "SSIM, center 16x16": ("ssim", 0.698)}
    card.write_text(model_card({"arch": "tutorial"}))  # no metrics: no model-index
    assert "model-index" not in metadata_load(card)


def test_no_temporary_files_are_left(bundle):
    assert not [p for p in bundle.rglob("*") if p.name.endswith(".tmp")]


def test_corrupt_or_missing_weights_are_reported(tmp_path):
    folder = make_bundle(tmp_path / "b", width=16)
    (folder / WEIGHTS_NAME).write_bytes(b"not safetensors at all")
    with pytest.raises(BundleError, match="corrupt"):
        load_bundle(folder)
    (folder / WEIGHTS_NAME).unlink()
    with pytest.raises(BundleError, match=f"no {WEIGHTS_NAME}"):
        load_bundle(folder)


def test_a_config_or_weights_path_that_is_a_folder_is_a_bundle_error(tmp_path):
    folder = make_bundle(tmp_path / "b", width=16)
    (folder / WEIGHTS_NAME).unlink()
    (folder / WEIGHTS_NAME).mkdir()
    with pytest.raises(BundleError, match=f"{WEIGHTS_NAME} is corrupt or cannot be read"):
        load_bundle(folder)
    (folder / CONFIG_NAME).unlink()
    (folder / CONFIG_NAME).mkdir()
    with pytest.raises(BundleError, match=f"{CONFIG_NAME} cannot be read"):
        load_bundle(folder)


def test_weights_of_another_shape_are_reported_briefly(tmp_path):
    folder = make_bundle(tmp_path / "b", width=16)
    config = json.loads((folder / CONFIG_NAME).read_text())
    prefix = f"{folder / WEIGHTS_NAME} does not fit dilated_unet "
    (folder / CONFIG_NAME).write_text(json.dumps({**config, "arch_config": {"width": 48}}))
    with pytest.raises(BundleError) as wider:
        load_bundle(folder)
    message = str(wider.value)  # load_state_dict's own message runs to thousands of characters
    assert message.startswith(prefix + '{"width": 48}: ') and len(message) <= len(prefix) + 320, message
    assert "tensor(s) differ in shape (first: stem.1.0.weight (16, 16, 3, 3) in the file, (48, 16, 3, 3)" in message
    (folder / CONFIG_NAME).write_text(json.dumps({**config, "arch": "tutorial", "arch_config": {}}))
    with pytest.raises(BundleError) as other_arch:
        load_bundle(folder)
    message = str(other_arch.value)
    assert len(message) <= len(str(folder)) + 360, message
    assert ": 8 missing (" in message and "; 28 unexpected (" in message and " and 25 more)" in message


def test_a_config_that_asks_for_a_huge_network_is_refused_before_anything_is_allocated(tmp_path):
    """A config beside small weights asking for width 4,000 and 32 context layers (about 15 G parameters): refused
    from the meta-device shapes, without allocating the network (it used to take 40 to 60 s and 8 to 12 GB)."""
    folder = make_bundle(tmp_path / "b", width=16)
    config = json.loads((folder / CONFIG_NAME).read_text())
    (folder / CONFIG_NAME).write_text(json.dumps({**config, "arch_config": {"width": 4000,
                                                                              "context_dilations": [2] * 32}}))
    devices = []

    def recording_build(*args, **kwargs):
        devices.append(torch.get_default_device().type)
        return build_model(*args, **kwargs)

    with mock.patch("sslmodel.bundle.build_model", recording_build):
        with pytest.raises(BundleError, match=r"parameters, more than the 50,000,000 this loader accepts"):
            load_bundle(folder)
    assert devices == ["meta"], "the network was only sketched, never allocated"
    (folder / CONFIG_NAME).write_text(json.dumps({**config, "arch_config": {"width": -3}}))
    with pytest.raises(BundleError, match="not a valid bundle config"):
        load_bundle(folder)


def test_broken_config_is_reported(tmp_path):
    folder = make_bundle(tmp_path / "b", width=16)
    (folder / CONFIG_NAME).write_text("{ not json")
    with pytest.raises(BundleError, match="not a valid bundle config"):
        load_bundle(folder)


# ---------------------------------------------------------------------------------------------- the Hub, faked

def run_folder(root: Path) -> Path:
    """What train.py leaves in --out: a bundle with frames and probes, and files that only the run keeps."""
    folder = make_bundle(root, width=16)
    model, config = load_bundle(folder)
    png = io.BytesIO()
    Image.fromarray(smooth_images(1)[0]).save(png, format="PNG")
    save_bundle(model, folder, config, frames={"epoch_001.png": png.getvalue(), "epoch_002.png": png.getvalue()})
    dim = model.features(torch.zeros(1, 3, 32, 32)).shape[1]

    def probe(kind: str, d: int) -> Probe:
        fit = LinearFit(torch.randn(2, d), torch.zeros(2), torch.zeros(d), torch.ones(d), l2=1.0)
        return Probe(kind, ["cats", "dogs"], fit, val_accuracy=50.0)

    save_probes(folder, {"encoder": probe("encoder", dim), "pixels": probe("pixels", 3 * 32 * 32)},
                {"labels_per_class": 2})
    torch.save({"model": model.state_dict()}, folder / "checkpoint.pt")
    (folder / "log.jsonl").write_text('{"epoch": 1}\n')
    (folder / "samples").mkdir()
    shutil.copy(folder / "frames" / "epoch_001.png", folder / "samples" / "epoch_001.png")
    shutil.copy(folder / "frames" / "epoch_001.png", folder / "curves.png")
    (folder / "frames" / ".epoch_003.png.1a2b3c4d.tmp").write_bytes(b"half-written")
    return folder


BUNDLE_FILES = {WEIGHTS_NAME, CONFIG_NAME, CARD_NAME, "frames/epoch_001.png", "frames/epoch_002.png",
                PROBE_WEIGHTS, PROBE_CONFIG}


def files_in(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


class FakeHub:
    """A Hub for one test; its repos are folders under `root`. upload_folder keeps what allow_patterns lets through
    and removes remote files that match delete_patterns, filtering with huggingface_hub's own filter_repo_objects
    as the real upload_folder does. snapshot_download lays files out as the cache does (refs/main,
    snapshots/<commit>/), so that the real snapshot_download finds them there when offline."""

    def __init__(self, root: Path):
        self.root, self.downloads = root, []

    def upload_folder(self, *, repo_id, folder_path, allow_patterns=None, ignore_patterns=None,
                      delete_patterns=None, **_):
        remote, folder = self.root / repo_id, Path(folder_path)
        for name in filter_repo_objects(sorted(files_in(remote)), allow_patterns=delete_patterns):
            (remote / name).unlink()
        for name in filter_repo_objects(sorted(files_in(folder)), allow_patterns=allow_patterns,
                                        ignore_patterns=ignore_patterns):
            (remote / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(folder / name, remote / name)
        return f"https://huggingface.co/{repo_id}/commit/abc"

    def snapshot_download(self, repo_id, *, allow_patterns=None, ignore_patterns=None, **_):
        self.downloads.append(allow_patterns)
        remote, commit = self.root / repo_id, "0123456789abcdef0123456789abcdef01234567"
        if not remote.is_dir():
            raise huggingface_hub.errors.RepositoryNotFoundError(f"404: no {repo_id}", response=mock.Mock())
        cache = Path(huggingface_hub.constants.HF_HUB_CACHE) / repo_folder_name(repo_id=repo_id, repo_type="model")
        snapshot = cache / "snapshots" / commit
        for name in filter_repo_objects(sorted(files_in(remote)), allow_patterns=allow_patterns,
                                        ignore_patterns=ignore_patterns):
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(remote / name, snapshot / name)
        (cache / "refs").mkdir(parents=True, exist_ok=True)
        (cache / "refs" / "main").write_text(commit)
        return str(snapshot)


@pytest.fixture
def hub(monkeypatch, tmp_path) -> FakeHub:
    """No network and no real cache: a temporary HF cache, and HfApi and snapshot_download served by a FakeHub."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    fake = FakeHub(tmp_path / "remote")
    fake.api = mock.MagicMock()
    fake.api.create_repo.side_effect = lambda repo_id, **_: mock.Mock(repo_id=repo_id)
    fake.api.upload_folder.side_effect = fake.upload_folder
    monkeypatch.setattr("sslmodel.bundle.HfApi", lambda token=None: fake.api)
    monkeypatch.setattr("sslmodel.bundle.snapshot_download", fake.snapshot_download)
    return fake


def go_offline(monkeypatch) -> None:
    """HF_HUB_OFFLINE=1 (the library reads it at import, so set its constant too), and the real snapshot_download."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr("sslmodel.bundle.snapshot_download", huggingface_hub.snapshot_download)


def test_bundle_patterns_cover_probes_and_frames_and_never_a_pickle():
    names = [WEIGHTS_NAME, CONFIG_NAME, CARD_NAME, "frames/epoch_001.png", PROBE_WEIGHTS, PROBE_CONFIG,
             "checkpoint.pt", "pytorch_model.bin", "model.pkl", "frames/epoch_001.pt", "log.jsonl",
             "samples/epoch_001.png", "curves.png", ".model.safetensors.1a2b.tmp"]
    assert list(filter_repo_objects(names, allow_patterns=BUNDLE_PATTERNS)) == names[:6]


def test_push_publishes_only_the_bundle_files(hub, tmp_path):
    run = run_folder(tmp_path / "run")
    remote = tmp_path / "remote" / "me" / "inpaint"
    (remote / "frames").mkdir(parents=True)
    (remote / "frames" / "epoch_099.png").write_bytes(b"from an earlier, longer run")
    assert push_bundle(run, "me/inpaint").endswith("commit/abc")
    hub.api.create_repo.assert_called_once()
    assert hub.api.upload_folder.call_args.kwargs["allow_patterns"] == BUNDLE_PATTERNS
    assert files_in(remote) == BUNDLE_FILES  # no checkpoint, log, samples, curves, temporary file or stale frame
    with pytest.raises(BundleError, match="not a bundle to push"):
        push_bundle(tmp_path / "run" / "samples", "me/other")


def test_a_pushed_bundle_loads_back_from_the_hub_with_its_probes_and_frames(hub, tmp_path):
    run = run_folder(tmp_path / "run")
    push_bundle(run, "me/inpaint")
    folder = resolve("me/inpaint")
    assert hub.downloads == [BUNDLE_PATTERNS]  # one snapshot_download, of the bundle's files only
    assert folder.is_relative_to(tmp_path / "hf" / "hub") and files_in(folder) == BUNDLE_FILES
    images, holes = smooth_images(2), np.random.default_rng(0).random((2, 32, 32)) < 0.5
    assert np.array_equal(Inpainter.from_pretrained("me/inpaint").reconstruct(images, holes),
                          Inpainter.from_pretrained(run).reconstruct(images, holes))
    assert set(load_probes("me/inpaint")) == {"encoder", "pixels"}
    assert sorted(list_frames(folder)) == [1, 2]


def test_offline_a_cached_repo_loads_and_an_uncached_one_says_so(hub, monkeypatch, tmp_path):
    push_bundle(run_folder(tmp_path / "run"), "me/inpaint")
    online = resolve("me/inpaint")
    (tmp_path / "remote" / "me" / "card-only").mkdir(parents=True)
    (tmp_path / "remote" / "me" / "card-only" / CARD_NAME).write_text("# just a card\n")
    hub.snapshot_download("me/card-only")  # cached, but without weights
    go_offline(monkeypatch)
    assert resolve("me/inpaint") == online
    load_bundle("me/inpaint")
    assert set(load_probes("me/inpaint")) == {"encoder", "pixels"} and list_frames(online)
    with pytest.raises(BundleError, match=r"^someone/not-cached is not in the local Hugging Face cache and the Hub "
                                          r"cannot be reached \(offline"):
        load_bundle("someone/not-cached")
    with pytest.raises(BundleError, match=r"^the cached copy of me/card-only has no config.json or model.safetensors "
                                          r"and the Hub cannot be reached \(offline"):
        load_bundle("me/card-only")


def test_unknown_names_and_repos_that_are_not_bundles_are_reported(hub, tmp_path):
    with pytest.raises(BundleError, match="not a shipped model"):
        load_bundle("no-such-model")
    with pytest.raises(BundleError, match="no Hub model repo someone/missing"):
        load_bundle("someone/missing")
    (tmp_path / "remote" / "someone" / "card-only").mkdir(parents=True)
    (tmp_path / "remote" / "someone" / "card-only" / CARD_NAME).write_text("# just a card\n")
    with pytest.raises(BundleError, match="someone/card-only has no config.json or model.safetensors"):
        load_bundle("someone/card-only")


@pytest.mark.parametrize("name", ["default", "tutorial", "inpaint-only"])
def test_shipped_models_load_by_name(name):
    assert name in shipped_models()
    inpainter = Inpainter.from_pretrained(None if name == "default" else name)
    assert inpainter.config.arch == ("tutorial" if name == "tutorial" else "dilated_unet")
    images, holes = smooth_images(2), np.zeros((2, 32, 32), bool)
    holes[:, 8:24, 8:24] = True
    assert np.array_equal(inpainter.inpaint(images, holes)[~holes], images[~holes])
