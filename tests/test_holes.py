import pytest
import torch

from sslmodel.holes import EVAL_FAMILIES, FAMILIES, make_holes


def holes(family, n=64, seed=0, **params):
    return make_holes(family, n, generator=torch.Generator().manual_seed(seed), **params)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_shape_dtype_and_determinism(family):
    first, again, other = holes(family), holes(family), holes(family, seed=1)
    assert first.shape == (64, 32, 32) and first.dtype == torch.bool
    assert torch.equal(first, again)
    if family != "center":
        assert not torch.equal(first, other)
    assert first.any(dim=(1, 2)).all(), "every image must have a hole"
    assert not first.all(dim=(1, 2)).any(), "no image may lose every pixel"


def test_pixels_coverage_follows_p():
    assert holes("pixels", 256).float().mean().item() == pytest.approx(0.5, abs=0.01)
    assert holes("pixels", 256, p=0.2).float().mean().item() == pytest.approx(0.2, abs=0.01)
    per_image = holes("pixels", 2, p=torch.tensor([0.1, 0.9])).float().mean(dim=(1, 2))
    assert per_image[0] < 0.2 < 0.8 < per_image[1]


def test_center_is_the_centred_square():
    hole = holes("center", 2)
    assert hole[:, 8:24, 8:24].all() and hole.sum().item() == 2 * 16 * 16
    assert holes("center", 1, side=10)[0].sum().item() == 100


def test_boxes_are_one_to_three_rectangles_of_the_stated_sides():
    hole = holes("boxes", 512)
    area = hole.sum(dim=(1, 2))
    assert area.min() >= 6 * 6 and area.max() <= 3 * 14 * 14
    single = holes("boxes", 256, count=(1, 1))
    rows, cols = single.any(dim=2).sum(dim=1), single.any(dim=1).sum(dim=1)
    assert torch.equal(single.sum(dim=(1, 2)), rows * cols), "one box fills its bounding rectangle"
    assert rows.min() >= 6 and rows.max() <= 14 and cols.min() >= 6 and cols.max() <= 14


def test_strokes_are_thin_connected_lines():
    hole = holes("strokes", 256)
    coverage = hole.float().mean(dim=(1, 2))
    assert 0.02 < coverage.mean() < 0.3
    # A stroke 2 to 4 px wide never fills a 6x6 block entirely, unlike a box.
    blocks = torch.nn.functional.avg_pool2d(hole.float().unsqueeze(1), 6, stride=1)
    assert (blocks == 1).float().mean() < 0.01


def test_patches_are_aligned_4x4_squares_with_exact_ratio():
    hole = holes("patches", 32)
    grid = hole.view(32, 8, 4, 8, 4)
    assert (grid.all(dim=(2, 4)) == grid.any(dim=(2, 4))).all(), "patches are whole 4x4 squares"
    assert (grid.all(dim=(2, 4)).sum(dim=(1, 2)) == 48).all(), "75% of 64 patches"
    assert (holes("patches", 4, ratio=0.5).sum(dim=(1, 2)) == 32 * 16).all()


def test_mixed_draws_several_families():
    coverage = holes("mixed", 256).float().mean(dim=(1, 2))
    exactly_quarter = (coverage == 0.25).float().mean()  # centre squares
    assert 0.05 < exactly_quarter < 0.5 and coverage.min() < 0.2 and coverage.max() > 0.6


def test_eval_families_are_registered_and_unknown_is_refused():
    assert set(EVAL_FAMILIES) <= set(FAMILIES)
    with pytest.raises(ValueError, match="unknown hole family"):
        make_holes("spiral", 1)
