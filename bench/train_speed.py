"""Training speed: the tutorial's data pipeline against ours, and the time our recipe needs to match the tutorial.

    python bench/train_speed.py                  # (a) on 2,000 training images of data/train, (b) from pretrained/
    python bench/train_speed.py --images 400 --default runs/default

(a) One pass over the same images with the same model (the tutorial autoencoder, batch 4, MSE over every pixel,
Adam 1e-3, half the pixels missing), fed two ways: the tutorial's pipeline (a torchvision-style Dataset that makes
each image a PIL image and runs per-image transforms, batched by a DataLoader) and ours (engine.train_one_epoch
indexing one uint8 tensor, holes drawn for the whole batch at once). The tutorial-style side carries our
corrections (images in [0, 1], a hole per pixel rather than per channel value), so only the pipeline differs.
Our pipeline includes the model's channels_last memory format, as the trainer sets it; a third pass, the
tutorial-style loop with that model, shows how much of the speed-up it alone gives.

(b) From the training logs, without retraining: the first epoch at which the default recipe's validation pixels
hole PSNR reached the tutorial's final one, and its training time against the tutorial's whole training time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader
from torchvision import transforms

from sslmodel import build_model
from sslmodel.data import DataError, load_dataset
from sslmodel.engine import train_one_epoch

BATCH_SIZE = 4  # the tutorial's
LR = 1e-3  # the tutorial's Adam learning rate
HOLE_PROBABILITY = 0.5  # the tutorial's masking ratio, and the default of the "pixels" hole family
SPEEDUP_TARGET = 3.0
TIME_TARGET = 1 / 20
WARM_UP_IMAGES = 64


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


def tutorial_style_epoch(model: torch.nn.Module, images_uint8: torch.Tensor, workers: int, seed: int,
                         channels_last: bool = False) -> dict:
    """The tutorial's loop: per-image transforms, a DataLoader, nn.MSELoss, Adam."""
    if channels_last:  # not the tutorial's: only to show how much of the speed-up the memory format alone gives
        model = model.to(memory_format=torch.channels_last)
    dataset = TutorialStyleDataset(images_uint8.permute(0, 2, 3, 1).numpy(),
                                   transforms.Compose([transforms.ToTensor(), MaskPixels()]))
    # drop_last as train_one_epoch does, so both loops see the same number of images
    loader = DataLoader(dataset, batch_size=BATCH_SIZE, shuffle=True, drop_last=True, num_workers=workers,
                        generator=torch.Generator().manual_seed(seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    criterion = torch.nn.MSELoss()
    model.train()
    total_loss, seen, start = 0.0, 0, time.perf_counter()
    for masked, hole, target in loader:
        optimizer.zero_grad()
        loss = criterion(model(masked, hole), target)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(target)
        seen += len(target)
    return {"images_per_second": seen / (time.perf_counter() - start), "loss": total_loss / max(seen, 1)}


def our_epoch(model: torch.nn.Module, images_uint8: torch.Tensor, seed: int) -> dict:
    """sslmodel.engine.train_one_epoch with the tutorial's recipe, the model set up as the trainer sets it up."""
    model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)  # the tutorial's constant rate
    stats = train_one_epoch(model, optimizer, scheduler, images_uint8, batch_size=BATCH_SIZE, hole_family="pixels",
                            loss_kind="mse", loss_region="all", augment=False,
                            generator=torch.Generator().manual_seed(seed), device=torch.device("cpu"), progress=False)
    return {"images_per_second": stats.images_per_second, "loss": stats.loss}


def compare_pipelines(images_uint8: torch.Tensor, workers: int, seed: int = 0) -> dict:
    warm_up = images_uint8[:WARM_UP_IMAGES]  # one-time costs (kernel selection, allocator) land on neither timing
    tutorial_style_epoch(build_model("tutorial"), warm_up, workers, seed)
    our_epoch(build_model("tutorial"), warm_up, seed)
    torch.manual_seed(seed)
    tutorial = tutorial_style_epoch(build_model("tutorial"), images_uint8, workers, seed)
    torch.manual_seed(seed)
    tutorial_channels_last = tutorial_style_epoch(build_model("tutorial"), images_uint8, workers, seed, True)
    torch.manual_seed(seed)
    ours = our_epoch(build_model("tutorial"), images_uint8, seed)
    return {"images": len(images_uint8), "tutorial_style": tutorial, "ours": ours,
            "tutorial_style_channels_last": tutorial_channels_last,
            "speedup": ours["images_per_second"] / tutorial["images_per_second"]}


def read_json(path: Path) -> dict | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def training_history(folder: Path) -> list[dict] | None:
    """Per-epoch rows: a bundle's config.json (training.history), else a run folder's log.jsonl."""
    config = read_json(folder / "config.json")
    if config and config.get("training", {}).get("history"):
        return config["training"]["history"]
    log = folder / "log.jsonl"
    if log.is_file():
        return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    return None


def time_to_tutorial_quality(default: Path, tutorial: Path) -> dict:
    """When the default run first matched the tutorial's final pixels hole PSNR; {"skipped": reason} without logs."""
    history, config = training_history(default), read_json(tutorial / "config.json")
    if not history:
        return {"skipped": f"no training history in {default} (config.json or log.jsonl)"}
    if not config or "pixels" not in config.get("metrics", {}) or "wall_time_seconds" not in config.get("training", {}):
        return {"skipped": f"no tutorial bundle with pixels metrics and wall time in {tutorial}"}
    target = config["metrics"]["pixels"]["hole_psnr"]
    result = {"tutorial_pixels_hole_psnr": target, "tutorial_seconds": config["training"]["wall_time_seconds"],
              "tutorial_epochs": config["training"].get("epochs_completed")}
    reached = next((row for row in history if row["val_hole_psnr"]["pixels"] >= target), None)
    if reached is None:
        best = max(row["val_hole_psnr"]["pixels"] for row in history)
        return result | {"reached": False, "epochs": len(history), "best_pixels_hole_psnr": best}
    return result | {"reached": True, "epoch": reached["epoch"], "pixels_hole_psnr": reached["val_hole_psnr"]["pixels"],
                     "seconds": reached["elapsed_seconds"],
                     "ratio": reached["elapsed_seconds"] / result["tutorial_seconds"]}


def summary(pipelines: dict, timing: dict) -> str:
    t, o = pipelines["tutorial_style"], pipelines["ours"]
    a = (f"ours {o['images_per_second']:.0f} img/s vs tutorial-style {t['images_per_second']:.0f} img/s = "
         f"{pipelines['speedup']:.1f}x (target {SPEEDUP_TARGET:.0f}x)")
    if "skipped" in timing:
        b = f"time to tutorial quality skipped ({timing['skipped']})"
    elif not timing["reached"]:
        b = (f"default did not reach the tutorial's {timing['tutorial_pixels_hole_psnr']:.2f} dB pixels hole PSNR "
             f"in {timing['epochs']} epochs")
    else:
        b = (f"default reached the tutorial's {timing['tutorial_pixels_hole_psnr']:.2f} dB pixels hole PSNR after "
             f"{timing['seconds']:.0f} s = 1/{1 / timing['ratio']:.1f} of the tutorial's "
             f"{timing['tutorial_seconds']:.0f} s (target 1/{1 / TIME_TARGET:.0f})")
    return f"train_speed: {a}; {b}"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="data/train", help="image folder or 'cifar10' (default %(default)s)")
    parser.add_argument("--images", type=int, default=2000, help="training images per pass in (a) "
                        "(default %(default)s)")
    parser.add_argument("--workers", type=int, default=0, help="DataLoader worker processes of the tutorial-style "
                        "loop (default %(default)s, the DataLoader's own default)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice; 1 gives steadier "
                        "figures on a busy machine)")
    parser.add_argument("--default", default="pretrained/default", type=Path, help="default model: a bundle or a "
                        "run folder with log.jsonl (default %(default)s)")
    parser.add_argument("--tutorial", default="pretrained/tutorial", type=Path, help="tutorial bundle (default "
                        "%(default)s)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.images < BATCH_SIZE:
        print(f"error: --images must be at least one batch ({BATCH_SIZE})", file=sys.stderr)
        return 2
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        images = load_dataset(args.data).train.images[:args.images]
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"(a) one pass over {len(images)} training images of {args.data}, batch {BATCH_SIZE}, "
          f"{torch.get_num_threads()} thread(s)", flush=True)
    pipelines = compare_pipelines(images, args.workers)
    for name, label in (("tutorial_style", "tutorial-style loop"), ("ours", "our train_one_epoch")):
        row = pipelines[name]
        print(f"  {label}: {row['images_per_second']:.0f} img/s, mean loss {row['loss']:.4f}")
    print(f"  speed-up: {pipelines['speedup']:.2f}x (target at least {SPEEDUP_TARGET:.0f}x)")
    row = pipelines["tutorial_style_channels_last"]
    print(f"  breakdown: the tutorial-style loop with the model in channels_last, as our trainer sets it, "
          f"gives {row['images_per_second']:.0f} img/s; the rest of the speed-up is the data pipeline")

    timing = time_to_tutorial_quality(args.default, args.tutorial)
    print(f"\n(b) time to the tutorial's quality, from {args.default} and {args.tutorial}")
    if "skipped" in timing:
        print(f"  skipped: {timing['skipped']}")
    else:
        print(f"  tutorial: final pixels hole PSNR {timing['tutorial_pixels_hole_psnr']:.2f} dB after "
              f"{timing['tutorial_epochs']} epochs, {timing['tutorial_seconds']:.0f} s of training")
        if timing["reached"]:
            print(f"  default: {timing['pixels_hole_psnr']:.2f} dB at epoch {timing['epoch']}, after "
                  f"{timing['seconds']:.0f} s of training; ratio {timing['ratio']:.3f} (target at most {TIME_TARGET})")
        else:
            print(f"  default: not reached in {timing['epochs']} epochs "
                  f"(best {timing['best_pixels_hole_psnr']:.2f} dB)")
        print("  (the default's per-epoch PSNR is on the trainer's validation subset, 2,000 images by default; "
              "the tutorial's final one on the whole split; epochs are the time resolution)")
    if args.json:
        Path(args.json).write_text(json.dumps({"pipelines": pipelines, "time_to_tutorial_quality": timing}, indent=2)
                                   + "\n", encoding="utf-8")
        print(f"figures written to {args.json}")
    print(summary(pipelines, timing))
    return 0


if __name__ == "__main__":
    sys.exit(main())
