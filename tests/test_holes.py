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


def test_strokes_are_thin_lines_of_varied_width_count_and_curvature():
    hole = holes("strokes", 512)
    coverage = hole.float().mean(dim=(1, 2))
    assert 0.05 < coverage.mean() < 0.3, "about as much as the boxes"
    assert coverage.min() < 0.03 and coverage.max() > 0.3, "short and long, few and many"
    # A stroke at most 5 px wide rarely fills a 7x7 block (only where strokes cross or turn sharply), unlike a box.
    blocks = torch.nn.functional.avg_pool2d(hole.float().unsqueeze(1), 7, stride=1)
    assert (blocks == 1).float().mean() < 0.01


def full_blocks(hole: torch.Tensor, side: int) -> torch.Tensor:
    """Per image: how many side x side blocks are entirely missing."""
    blocks = torch.nn.functional.avg_pool2d(hole.float().unsqueeze(1), side, stride=1)
    return (blocks == 1).flatten(1).sum(dim=1)


def test_stroke_width_is_the_brush_width():
    straight = {"count": (1, 1), "turn": 0.0, "segments": (1, 1)}  # one straight step of 2 to 7 px
    thin = holes("strokes", 256, width=(1, 1), **straight)
    # away from the edges, where a line bounces back alongside itself
    assert (full_blocks(thin[:, 3:-3, 3:-3], 2) == 0).all(), "a straight 1 px line never fills a 2x2 block"
    thick = holes("strokes", 256, width=(5, 5), **straight)
    assert (full_blocks(thick, 3) > 0).all(), "a 5 px brush fills 3x3 blocks wherever it is stamped"
    assert (full_blocks(thick, 4) > 0).float().mean() > 0.9, "and 4x4 ones along most lines"
    assert thick.sum() > 3 * thin.sum()


def test_stroke_count_and_length_follow_their_ranges():
    one = holes("strokes", 256, count=(1, 1)).float().mean()
    four = holes("strokes", 256, count=(4, 4)).float().mean()
    assert 2 * one < four
    short = holes("strokes", 256, segments=(1, 1), step=(2, 2), width=(1, 1), count=(1, 1)).sum(dim=(1, 2))
    assert short.max() <= 3 * 3, "one 2 px step with a 1 px brush covers a few pixels"


def test_stroke_headings_turn_with_momentum():
    from sslmodel.holes import _turns
    turns = _turns((64, 4), 8, 0.7, torch.Generator().manual_seed(0), "cpu")  # (N, K, S)
    noise = turns[..., 1:] - 0.7 * turns[..., :-1]  # what each step adds to the last turn
    assert noise.abs().max() <= 1 + 1e-5 and turns[..., 0].abs().max() <= 1
    assert turns.abs().max() > 1.2, "momentum lets turns build up into arcs and loops"


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


def test_mixed_picks_a_family_per_image_uniformly_and_draws_only_those(monkeypatch):
    """Each family's generator runs once, for the images that get it: about a fifth each, n in all."""
    from sslmodel import holes as module
    counts = {}
    for name in ("pixels", "center", "boxes", "strokes", "patches"):
        real = getattr(module, name)

        def counted(n, *args, name=name, real=real, **kwargs):
            counts[name] = counts.get(name, 0) + n
            return real(n, *args, **kwargs)
        monkeypatch.setattr(module, name, counted)
    hole = holes("mixed", 2000)
    assert sum(counts.values()) == 2000 and len(counts) == 5
    assert all(abs(n / 2000 - 0.2) < 0.04 for n in counts.values()), counts
    centre = (hole[:, 8:24, 8:24].all(dim=(1, 2)) & (hole.sum(dim=(1, 2)) == 256)).sum().item()
    assert centre == counts["center"], "the centre squares are where the family went"


def test_eval_families_are_registered_and_unknown_is_refused():
    assert set(EVAL_FAMILIES) <= set(FAMILIES)
    with pytest.raises(ValueError, match="unknown hole family"):
        make_holes("spiral", 1)
