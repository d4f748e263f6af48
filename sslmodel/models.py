"""Inpainting architectures, reachable by name from a small registry.

Every model maps (images, holes) to a reconstruction:
    images: float (N, 3, H, W) in [0, 1]; the pixels under the holes are never looked at.
    holes:  bool (N, H, W), True = missing.
    returns float (N, 3, H, W) in [0, 1], a prediction for every pixel.
Each model is rebuilt from its JSON-serialisable keyword arguments (`arch_config`), and says whether torch.compile
speeds its training up (`compile_training`, what train.py's --compile does by default), as measured on a 2-core CPU.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

MODELS: dict[str, Callable[..., nn.Module]] = {}
DEFAULT_ARCH = "dilated_unet"
DEFAULT_ARCH_CONFIG = {"width": 64}  # the shipped default model's; DilatedUNet() is the same network


def register(name: str):
    def add(cls):
        MODELS[name] = cls
        return cls
    return add


def build_model(arch: str, **arch_config) -> nn.Module:
    if arch not in MODELS:
        raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(MODELS)}")
    return MODELS[arch](**arch_config)


def hide(images: torch.Tensor, holes: torch.Tensor) -> torch.Tensor:
    """Zero the missing pixels, so no model can see what it has to predict."""
    return images * (~holes).unsqueeze(1).to(images.dtype)


@register("tutorial")
class TutorialAutoencoder(nn.Module):
    """The tutorial's convolutional autoencoder, layer for layer. It sees only the masked image."""

    compile_training = False  # compiled, its training step ran 30% slower (CPU, batch 4 and 128)

    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(3, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(128, 64, 2, stride=2), nn.ReLU(),
            nn.ConvTranspose2d(64, 3, 2, stride=2), nn.Sigmoid(),
        )

    def forward(self, images: torch.Tensor, holes: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(hide(images, holes)))

    def forward_with_features(self, images: torch.Tensor, holes: torch.Tensor, stages: str = "all"):
        """(reconstruction, the pooled bottleneck of this masked input); it has one stage, so `stages` is moot."""
        encoded = self.encoder(hide(images, holes))
        return self.decoder(encoded), encoded.mean(dim=(2, 3))

    def masked_features(self, images: torch.Tensor, holes: torch.Tensor, stages: str = "all") -> torch.Tensor:
        return self.encoder(hide(images, holes)).mean(dim=(2, 3))

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """Encoder representation of whole images for probing: the bottleneck, average-pooled. (N, 128)"""
        return self.encoder(images).mean(dim=(2, 3))


def conv(in_channels: int, out_channels: int, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, padding=dilation, dilation=dilation), nn.GELU())


@register("dilated_unet")
class DilatedUNet(nn.Module):
    """A small U-Net that sees the masked image and the hole map.

    Cheap on a CPU by design: pixel-unshuffle moves 32x32 to 16x16 without losing a pixel, the heavy
    work runs at 16x16 and 8x8, and dilated convolutions at 8x8 let a pixel see the whole image, which
    a large hole needs. A light full-resolution head fuses the features with the known pixels.
    """

    compile_training = True  # compiled, its training step ran 3-5% faster (CPU, batch 128; GELUs fused)

    def __init__(self, width: int = 64, context_dilations: tuple[int, ...] = (2, 4, 2, 1)):
        super().__init__()
        c = width
        self.stem = nn.Sequential(nn.PixelUnshuffle(2), conv(16, c), conv(c, c))  # (N, c, H/2, W/2)
        self.down = nn.Sequential(nn.Conv2d(c, 2 * c, 4, stride=2, padding=1), nn.GELU(), conv(2 * c, 2 * c))
        self.context = nn.Sequential(*(conv(2 * c, 2 * c, d) for d in context_dilations))  # (N, 2c, H/4, W/4)
        self.up = nn.Sequential(nn.ConvTranspose2d(2 * c, c, 2, stride=2), nn.GELU())
        self.decode = nn.Sequential(conv(2 * c, c), conv(c, c), nn.Conv2d(c, 64, 3, padding=1), nn.PixelShuffle(2))
        self.head = nn.Sequential(conv(16 + 4, 32), nn.Conv2d(32, 3, 3, padding=1))

    @staticmethod
    def model_input(images: torch.Tensor, holes: torch.Tensor) -> torch.Tensor:
        """(N, 4, H, W): the known pixels centred on zero, so a zeroed hole reads as "unknown" rather than "black",
        and the hole map."""
        known = (hide(images, holes) - 0.5) * (~holes).unsqueeze(1)
        return torch.cat([known, holes.unsqueeze(1).to(images.dtype)], dim=1)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The encoder stages of a model input: stem (N, c, H/2, W/2), downsampled and context (N, 2c, H/4, W/4)."""
        skip = self.stem(x)
        down = self.down(skip)
        return skip, down, self.context(down)

    def decode_stages(self, x: torch.Tensor, skip: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        features = self.decode(torch.cat([self.up(context), skip], dim=1))  # (N, 16, H, W)
        return torch.sigmoid(self.head(torch.cat([features, x], dim=1)))

    def forward(self, images: torch.Tensor, holes: torch.Tensor) -> torch.Tensor:
        return self.forward_with_features(images, holes)[0]

    def forward_with_features(self, images: torch.Tensor, holes: torch.Tensor, stages: str = "all"):
        """(reconstruction, the pooled encoder stages of this masked input): one pass feeds an inpainting loss and
        a loss on the features."""
        x = self.model_input(images, holes)
        skip, down, context = self.encode(x)
        return self.decode_stages(x, skip, context), pool_stages((skip, down, context), stages)

    def masked_features(self, images: torch.Tensor, holes: torch.Tensor, stages: str = "all") -> torch.Tensor:
        """The pooled encoder stages of a masked input, without the decoder."""
        return pool_stages(self.encode(self.model_input(images, holes)), stages)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """Encoder representation of whole images for probing: each encoder stage average-pooled and
        concatenated (stem, downsampled, dilated context). (N, 5 * width)"""
        holes = torch.zeros(images.shape[0], *images.shape[2:], dtype=torch.bool, device=images.device)
        return self.masked_features(images, holes)


def pool_stages(stages: tuple[torch.Tensor, ...], which: str = "all") -> torch.Tensor:
    """Average-pool encoder stages and concatenate them: "all" of them, or only the "deep" (last) one."""
    chosen = stages if which == "all" else stages[-1:]
    return torch.cat([stage.mean(dim=(2, 3)) for stage in chosen], dim=1)
