import json

import numpy as np
import pytest
import torch

from conftest import make_bundle, smooth_images, write_image_folder
from sslmodel import build_model, load_bundle
from sslmodel.data import load_dataset
from sslmodel.probe import experiment, linear
from sslmodel.probe.__main__ import main

CLASSES = ("ants", "bees", "cats")
TINY = ["--labels", "2", "4", "--seeds", "2", "--finetune-steps", "2", "--finetune-batch-size", "4",
        "--lbfgs-iters", "50"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A 3-class image folder (10 per class: 9 train, 1 validation) and an untrained width-8 bundle."""
    root = tmp_path_factory.mktemp("probe")
    return write_image_folder(root / "images", per_class=10, classes=CLASSES), make_bundle(root / "bundle", width=8)


def blobs(seed: int = 0, spread: float = 4.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Three Gaussian classes in 16 dimensions, 60 points each; well separated at the default spread."""
    generator = torch.Generator().manual_seed(seed)
    centres = torch.randn(3, 16, generator=generator) * spread
    labels = torch.arange(3).repeat_interleave(60)
    return centres[labels] + torch.randn(len(labels), 16, generator=generator), labels


def test_linear_classifier_separates_a_separable_problem():
    points, labels = blobs()
    train, test = torch.arange(len(labels)) % 2 == 0, torch.arange(len(labels)) % 2 == 1
    fit = linear.train_linear(points[train], labels[train], num_classes=3)
    assert fit.weight.shape == (3, 16) and fit.bias.shape == (3,) and fit.l2 <= 0.01
    assert linear.accuracy(fit.logits(points[test]), labels[test]) > 95
    again = linear.train_linear(points[train], labels[train], num_classes=3)
    assert torch.equal(fit.weight, again.weight) and torch.equal(fit.bias, again.bias), "fitting must be deterministic"


def test_the_penalty_is_strong_when_the_labels_are_noise():
    points, _ = blobs()
    noise = torch.randint(0, 3, (len(points),), generator=torch.Generator().manual_seed(1))
    assert linear.choose_l2(points, noise, num_classes=3) >= 1


def test_label_subsets_are_balanced_nested_and_seeded():
    labels = torch.arange(4).repeat(50)
    subsets = experiment.label_subsets(labels, [3, 10], seed=1)
    assert labels[subsets[10]].bincount().tolist() == [10] * 4
    assert set(subsets[3].tolist()) <= set(subsets[10].tolist())
    assert torch.equal(subsets[10], experiment.label_subsets(labels, [10], seed=1)[10])
    assert not torch.equal(subsets[10], experiment.label_subsets(labels, [10], seed=2)[10])
    with pytest.raises(linear.ProbeError, match="fewer than 60"):
        experiment.label_subsets(labels, [60], seed=0)


def test_features_are_deterministic_and_probing_leaves_the_encoder_unchanged(tiny):
    folder, bundle = tiny
    model, config = load_bundle(bundle)
    images = torch.from_numpy(smooth_images(6)).permute(0, 3, 1, 2)
    first = linear.encoder_features(model, images, batch_size=4)
    assert first.shape == (6, 5 * 8) and torch.equal(first, linear.encoder_features(model, images))
    before = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    settings = experiment.ProbeConfig(labels=(2,), seeds=1, finetune_steps=3, finetune_batch_size=4, lbfgs_iters=20)
    experiment.run_probe(load_dataset(str(folder)), model, config, settings, log=lambda line: None)
    assert all(torch.equal(before[name], tensor) for name, tensor in model.state_dict().items())
    assert torch.equal(first, linear.encoder_features(model, images))


def test_the_fine_tuning_classifier_starts_as_the_linear_probe():
    torch.manual_seed(0)
    model = build_model("dilated_unet", width=8)
    images = torch.from_numpy(smooth_images(12)).permute(0, 3, 1, 2)
    features = linear.encoder_features(model, images)
    fit = linear.train_linear(features, torch.arange(12) % 3, num_classes=3, l2=0.1)
    classifier = experiment.EncoderClassifier(model, fit)
    assert torch.allclose(experiment.classifier_logits(classifier, images), fit.logits(features), atol=1e-4)


def test_fine_tuning_changes_the_encoder_and_fits_the_labels():
    torch.manual_seed(0)
    model = build_model("dilated_unet", width=8)
    images = torch.from_numpy(smooth_images(16)).permute(0, 3, 1, 2)
    labels = (images.float().mean(dim=(1, 2, 3)) > images.float().mean()).long()  # bright vs dark
    mean, std = linear.standardizer(linear.encoder_features(model, images))
    start = linear.LinearFit(torch.zeros(2, len(mean)), torch.zeros(2), mean, std, l2=0.0)  # a blank head
    before = [p.clone() for p in model.parameters()]
    classifier = experiment.finetune(experiment.EncoderClassifier(model, start), images, labels, steps=30,
                                     batch_size=8, lr=3e-3, weight_decay=0.0, seed=0)
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert linear.accuracy(experiment.classifier_logits(classifier, images), labels) >= 90


def test_probe_end_to_end_table_json_and_shipped_probe(tiny, tmp_path, capsys):
    folder, bundle = tiny
    out = tmp_path / "probe.json"
    assert main(["--data", str(folder), "--bundle", str(bundle), *TINY, "--json", str(out), "--save-probe"]) == 0
    printed = capsys.readouterr().out
    results = json.loads(out.read_text())
    assert results["labels_per_class"] == [2, 4] and results["val_images"] == 3
    for method in experiment.METHODS:
        for k in ("2", "4"):
            scores = results["accuracy"][method][k]
            assert len(scores) == 2 and all(0 <= s <= 100 for s in scores)
    table = experiment.probe_table_markdown(results)
    assert table.splitlines()[0] == "| method | 2 labels/class | 4 labels/class |"
    assert len(table.splitlines()) == 2 + len(experiment.METHODS) and table in printed
    assert results["command"].startswith("python -m sslmodel.probe --data") and results["wall_time_seconds"] > 0
    assert printed.strip().splitlines()[-1].startswith("summary at 4 labels/class: pretrained")

    probes = linear.load_probes(bundle)
    assert set(probes) == {"encoder", "pixels"} and probes["encoder"].classes == list(CLASSES)
    recorded = json.loads((bundle / "config.json").read_text())["probe"]
    assert recorded["table"] == table and recorded["command"] == results["command"]
    assert table in (bundle / "README.md").read_text(), "the card shows the comparison"
    assert all(0 <= p.val_accuracy <= 100 and p.fit.l2 in linear.L2_GRID for p in probes.values())
    model, _ = load_bundle(bundle)
    images = smooth_images(5, seed=3)
    for kind in ("encoder", "pixels"):
        shipped = linear.Probe.from_bundle(bundle, kind=kind)
        probabilities = shipped.probabilities(images, model)
        assert probabilities.shape == (5, 3) and np.allclose(probabilities.sum(1), 1, atol=1e-5)
        top = shipped.predict_top(images, model, k=2)
        assert len(top) == 5 and all(len(row) == 2 for row in top)
        assert all(row[0][1] >= row[1][1] and row[0][0] in CLASSES for row in top)
        assert top[0][0][1] == pytest.approx(probabilities[0].max())
        single = shipped.predict_top(images[0], model, k=5)  # one image; k capped at the 3 classes
        assert len(single) == 1 and [c for c, _ in single[0]][:2] == [c for c, _ in top[0]]
        assert sum(p for _, p in single[0]) == pytest.approx(1, abs=1e-5)


def test_a_probe_from_other_weights_is_refused(tiny, tmp_path):
    folder, _ = tiny
    bundle = make_bundle(tmp_path / "b", width=8)
    assert main(["--data", str(folder), "--bundle", str(bundle), "--labels", "2", "--seeds", "1",
                 "--methods", "pixels", "--lbfgs-iters", "20", "--save-probe"]) == 0
    linear.Probe.from_bundle(bundle, kind="pixels")
    make_bundle(tmp_path / "b", width=8, seed=1)  # retrained in place: the probe no longer fits
    with pytest.raises(linear.ProbeError, match="other model weights"):
        linear.Probe.from_bundle(bundle)
    with pytest.raises(linear.ProbeError, match="has no probe.json"):
        linear.load_probes(make_bundle(tmp_path / "c", width=8))
