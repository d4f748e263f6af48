"""Where did it look: the influence map against the analytic gradient of a network whose receptive field is known."""

import numpy as np
import pytest
import torch
from torch import nn

from sslmodel import build_model
from sslmodel.influence import FAR, distance_to, influence
from sslmodel.models import hide


class OneConvolution(nn.Module):
    """One 3x3 convolution of the masked image: each output pixel sees its 3x3 neighbourhood and nothing else."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, images, holes):
        return self.conv(hide(images, holes))


def random_image(seed=0):
    return np.random.default_rng(seed).integers(0, 256, (32, 32, 3), dtype=np.uint8)


def test_one_convolution_the_map_is_its_weights_around_the_pixel_and_zero_elsewhere():
    net = OneConvolution()
    holes = np.zeros((32, 32), bool)
    holes[10, 12] = holes[9, 12] = holes[20:24, 3:9] = True  # the pixel, a missing neighbour, a hole far away
    found = influence(net, random_image(), holes, pixel=(10, 12))
    expected = np.zeros((32, 32))
    kernel = net.conv.weight.detach().abs().sum(dim=(0, 1)).double().numpy()  # (3, 3): over output and input colours
    expected[9:12, 11:14] = kernel
    expected[holes] = 0  # the model never sees a missing pixel, so none has any weight
    assert found.pixel == (10, 12) and found.targets.sum() == 1
    np.testing.assert_allclose(found.weights, expected, rtol=1e-5, atol=1e-7)
    assert found.far_share == 0.0


def test_with_no_pixel_chosen_the_map_is_for_the_whole_hole():
    net = OneConvolution()
    holes = np.zeros((32, 32), bool)
    holes[5:8, 5:8] = True
    for pixel in (None, (0, 0)):  # no pixel, or one that is not missing
        found = influence(net, random_image(), holes, pixel=pixel)
        assert found.pixel is None and np.array_equal(found.targets, holes)
        ring = np.zeros((32, 32), bool)
        ring[4:9, 4:9] = True
        assert (found.weights[ring & ~holes] > 0).all() and (found.weights[~ring] == 0).all()


def test_the_default_network_never_weighs_missing_pixels_and_reads_far():
    model = build_model("dilated_unet", width=8)
    holes = np.zeros((32, 32), bool)
    holes[8:24, 8:24] = True
    found = influence(model, random_image(1), holes, pixel=(16, 16))
    assert (found.weights[holes] == 0).all() and found.weights[~holes].sum() > 0
    assert found.far_share is not None and 0 < found.far_share <= 1, "its dilated layers see the whole image"
    no_hole = influence(model, random_image(1), np.zeros((32, 32), bool))
    assert no_hole.far_share is None and not no_hole.weights.any() and not no_hole.targets.any(), "no hole, no weight"


def test_distance_to_the_targets():
    targets = np.zeros((5, 5), bool)
    targets[0, 0] = True
    distances = distance_to(targets)
    assert distances[0, 0] == 0 and distances[3, 4] == pytest.approx(5.0) and FAR > 0
    assert np.isinf(distance_to(np.zeros((3, 3), bool))).all()
