import pytest
import torch

from sslmodel.engine import inpainting_loss
from sslmodel.models import DEFAULT_ARCH, MODELS, build_model


@pytest.fixture
def batch():
    generator = torch.Generator().manual_seed(0)
    images = torch.rand(4, 3, 32, 32, generator=generator)
    holes = torch.rand(4, 32, 32, generator=generator) < 0.5
    return images, holes


@pytest.mark.parametrize("arch", sorted(MODELS))
def test_forward_and_backward(arch, batch):
    images, holes = batch
    model = build_model(arch)
    out = model(images, holes)
    assert out.shape == images.shape and out.dtype == torch.float32
    assert out.min() >= 0 and out.max() <= 1
    inpainting_loss(out, images, holes).backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and torch.isfinite(parameter.grad).all(), name
    assert any(parameter.grad.abs().sum() > 0 for parameter in model.parameters())


@pytest.mark.parametrize("arch", sorted(MODELS))
def test_hidden_pixels_cannot_leak(arch, batch):
    images, holes = batch
    model = build_model(arch).eval()
    other = torch.where(holes.unsqueeze(1), torch.rand_like(images), images)  # same known pixels, new hidden ones
    with torch.no_grad():
        assert torch.equal(model(images, holes), model(other, holes))


def test_default_arch_sees_the_hole_map(batch):
    images, holes = batch
    model = build_model(DEFAULT_ARCH).eval()
    known_black = images * (~holes).unsqueeze(1)  # a black known pixel must differ from a missing one
    with torch.no_grad():
        assert not torch.allclose(model(known_black, holes), model(known_black, torch.zeros_like(holes)))


def test_channels_last_gives_the_same_output(batch):
    images, holes = batch
    model = build_model(DEFAULT_ARCH).eval()
    with torch.no_grad():
        expected = model(images, holes)
        model = model.to(memory_format=torch.channels_last)
        actual = model(images.contiguous(memory_format=torch.channels_last), holes)
    assert torch.allclose(expected, actual, atol=1e-5)


def test_unknown_arch_is_refused():
    with pytest.raises(ValueError, match="unknown architecture"):
        build_model("resnet9000")


@pytest.mark.parametrize("arch", sorted(MODELS))
def test_every_model_says_whether_it_trains_faster_compiled(arch):
    assert isinstance(MODELS[arch].compile_training, bool)
