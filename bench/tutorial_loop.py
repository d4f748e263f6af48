"""The tutorial's own training loop against our trainer, on the tutorial's model and recipe, side by side in one run.

    python bench/tutorial_loop.py                                 # on data/train: a few minutes on 2 cores
    python bench/tutorial_loop.py --json bench/results/tutorial_loop/tutorial_loop.json
    python bench/tutorial_loop.py --images 512 --repeats 1         # shorter

The tutorial model and recipe (MSE over every pixel, 1e-3, half the pixels missing, no flips), in images/s over the
same --images training images: the tutorial's own loop, kept here as it was (a Dataset that makes each image a PIL
image and runs per-image transforms, a DataLoader, batch 4, Adam), against our trainer with train.py's default
settings (set up by trainer.set_up and trainer.build_state, stepped by engine.train_one_epoch) at the tutorial's
batch of 4 and at the default model's 128. Each configuration runs --repeats times, alternating, and the best is kept
(the machine may be shared).
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader
from torchvision import transforms

from training import (TUTORIAL, WARM_UP_STEPS, best_of, fitted, machine, parser, print_rates, start_run,
                      timed_header, write_json)

from sslmodel import build_model
from sslmodel.engine import Recipe
from sslmodel.trainer import TrainConfig

HOLE_PROBABILITY = 0.5  # the tutorial's masking ratio, and the default of the "pixels" hole family


# ------------------------------------------------------------------------- the tutorial's loop, the baseline, as it was

class TutorialStyleDataset(torch.utils.data.Dataset):
    """Like torchvision.datasets.CIFAR10: uint8 (N, H, W, 3) in memory, each item a PIL image through `transform`."""

    def __init__(self, images_nhwc: np.ndarray, transform):
        self.data, self.transform = images_nhwc, transform

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int):
        return self.transform(Image.fromarray(self.data[index]))


class MaskPixels:
    """The tutorial's masking transform, corrected: all channels of a pixel go missing together."""

    def __call__(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        hole = torch.rand(image.shape[1:]) < HOLE_PROBABILITY  # (H, W), True = missing
        return image * ~hole, hole, image  # masked input, hole, target


def tutorial_loop_epoch(images_uint8: torch.Tensor, workers: int, seed: int) -> float:
    """The tutorial's own loop on its model: per-image transforms, a DataLoader, nn.MSELoss, Adam. images/s."""
    torch.manual_seed(seed)
    model = build_model("tutorial")
    dataset = TutorialStyleDataset(images_uint8.permute(0, 2, 3, 1).numpy(),
                                   transforms.Compose([transforms.ToTensor(), MaskPixels()]))
    loader = DataLoader(dataset, batch_size=TUTORIAL.batch_size, shuffle=True, drop_last=True, num_workers=workers,
                        generator=torch.Generator().manual_seed(seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=TUTORIAL.lr)
    criterion = torch.nn.MSELoss()
    model.train()
    seen, start = 0, time.perf_counter()
    for masked, hole, target in loader:
        optimizer.zero_grad()
        loss = criterion(model(masked, hole), target)
        loss.backward()
        optimizer.step()
        loss.item()
        seen += len(target)
    return seen / (time.perf_counter() - start)


# ------------------------------------------------------------------------------------------------------ ours

def tutorial_model(run, count: int, workers: int, repeats: int) -> dict:
    """images/s of the tutorial's loop, and of our trainer at the run's batch and at the default model's."""
    images = run.images(count)
    small, large = run.recipe, fitted(replace(run.recipe, batch_size=Recipe().batch_size), count)
    warm_up = {"ours, small batch": run.warm_up(images, small), "ours, large batch": run.warm_up(images, large)}
    tutorial_loop_epoch(images[:WARM_UP_STEPS * small.batch_size * 4], workers, seed=1)
    rates = best_of(repeats, {"tutorial loop": lambda: tutorial_loop_epoch(images, workers, seed=0),
                              "ours, small batch": lambda: run.images_per_second(images, small),
                              "ours, large batch": lambda: run.images_per_second(images, large)})
    tutorial = rates["tutorial loop"]
    return {"images": len(images), "batch_sizes": {"small": small.batch_size, "large": large.batch_size},
            "precision": run.recipe.precision, "compiled": run.setup.config.compile, "settings": run.settings,
            "workers": workers,
            "images_per_second": rates, "warm_up_seconds": warm_up,
            "speedup_small_batch": rates["ours, small batch"] / tutorial,
            "speedup_large_batch": rates["ours, large batch"] / tutorial}


def summary(figures: dict) -> str:
    t, sizes = figures["images_per_second"], figures["batch_sizes"]
    return (f"tutorial_loop: ours ({figures['settings']}) {t['ours, small batch']:.0f} img/s at batch "
            f"{sizes['small']} = {figures['speedup_small_batch']:.2f}x and {t['ours, large batch']:.0f} at batch "
            f"{sizes['large']} = {figures['speedup_large_batch']:.2f}x the tutorial's own loop's "
            f"{t['tutorial loop']:.0f}")


def main(argv: list[str] | None = None) -> int:
    options = parser(__doc__)
    options.add_argument("--workers", type=int, default=0, help="DataLoader worker processes of the tutorial's loop "
                         "(default %(default)s, the DataLoader's own default)")
    args = options.parse_args(argv)
    # compile left to the architecture, as train.py leaves it: the tutorial model trains slower compiled
    config = TrainConfig(data=args.data, arch="tutorial", arch_config={}, recipe=fitted(TUTORIAL, args.images),
                         threads=args.threads)
    run = start_run(config)
    if run is None:
        return 1
    print(timed_header(run, args), flush=True)

    figures = tutorial_model(run, args.images, args.workers, args.repeats)
    t, sizes = figures["images_per_second"], figures["batch_sizes"]
    print_rates("\ntutorial model and recipe (MSE over every pixel, 1e-3, 50% pixels, no flips)", [
        (f"the tutorial's own loop (per-image transforms, DataLoader, Adam), batch {TUTORIAL.batch_size}",
         t["tutorial loop"]),
        (f"our trainer, train.py's default settings ({figures['settings']}), batch {sizes['small']}",
         t["ours, small batch"]),
        (f"our trainer, train.py's default settings, batch {sizes['large']}", t["ours, large batch"]),
    ])
    print(f"  ours against the tutorial's loop: {figures['speedup_small_batch']:.2f}x at batch {sizes['small']}, "
          f"{figures['speedup_large_batch']:.2f}x at batch {sizes['large']}; warm-up (not counted): "
          + ", ".join(f"{k} {v:.0f} s" for k, v in figures["warm_up_seconds"].items()))
    write_json(args.json, {"hardware": machine(run), "tutorial_model": figures})
    print(summary(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
