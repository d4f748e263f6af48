"""Latency of the app's /inpaint endpoint through gradio_client: p50 and p95, one request at a time and from
8 concurrent clients, against the floor: a do-nothing endpoint with the same signature (two file uploads and a
model name in, two images and a JSON out), timed in the same run, its requests alternating with the real ones.
Both are launched in-process on free local ports, with the app's own queue settings.

    python bench/app_latency.py                          # the shipped default model
    python bench/app_latency.py --model runs/default --requests 200

Every request uploads a 64x64 image and a mask of the same size, and downloads the two PNGs it returns:
the figures are what a gradio_client user on the same machine sees, not the model alone (bench/inference.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from gradio_client import Client, handle_file
from PIL import Image

import gradio as gr

from sslmodel import shipped_models
from sslmodel.app import LAUNCH_OPTIONS, build_demo, make_state
from sslmodel.app.layout import CONCURRENCY, QUEUE_SIZE, TORCH_THREADS
from sslmodel.app.state import load_models


def write_inputs(folder: Path) -> tuple[str, str]:
    """A 64x64 gradient image and a mask hiding its central quarter."""
    y, x = np.mgrid[0:64, 0:64]
    image = np.stack([x * 4, y * 4, (x + y) * 2], axis=-1).astype(np.uint8)
    mask = np.zeros((64, 64), np.uint8)
    mask[16:48, 16:48] = 255
    Image.fromarray(image).save(folder / "image.png")
    Image.fromarray(mask).save(folder / "mask.png")
    return str(folder / "image.png"), str(folder / "mask.png")


def floor_demo() -> gr.Blocks:
    """An endpoint with /inpaint's signature that does nothing: the uploaded image back twice, no metrics."""
    def inpaint(image: str, mask: str, model: str | None = None) -> tuple[str, str, dict]:
        return image, image, {}

    with gr.Blocks() as demo:
        inputs = [gr.File(label="image"), gr.File(label="mask"), gr.Textbox(label="model")]
        outputs = [gr.Image(format="png"), gr.Image(format="png"), gr.JSON()]
        gr.Button().click(inpaint, inputs, outputs, api_name="inpaint", concurrency_limit=CONCURRENCY)
    demo.queue(max_size=QUEUE_SIZE)
    return demo


def timed_request(client: Client, image: str, mask: str) -> float:
    start = time.perf_counter()
    client.predict(image=handle_file(image), mask=handle_file(mask), api_name="/inpaint")
    return time.perf_counter() - start


def timed_requests(client: Client, image: str, mask: str, count: int) -> list[float]:
    """Seconds for each of `count` /inpaint calls, one after the other."""
    return [timed_request(client, image, mask) for _ in range(count)]


def summary(times: list[float], wall: float) -> dict[str, float]:
    milliseconds = 1000 * np.asarray(times)
    return {"requests": len(times), "p50_ms": float(np.percentile(milliseconds, 50)),
            "p95_ms": float(np.percentile(milliseconds, 95)), "requests_per_second": len(times) / wall}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="a shipped model's name, a bundle folder or a Hub repo id "
                        "(default: the shipped default)")
    parser.add_argument("--requests", type=int, default=64, help="timed requests in each mode (default %(default)s)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients in the second mode "
                        "(default %(default)s)")
    parser.add_argument("--warm-up", type=int, default=4, help="untimed requests first (default %(default)s)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    name = args.model or next(iter(shipped_models()), None)
    if name is None:
        print("app_latency: no model to time (no shipped bundles in pretrained/; pass --model FOLDER)")
        return 1
    models, problems = load_models([name])
    if not models:
        print(f"error: {problems[0]}", file=sys.stderr)
        return 1
    demo, floor = build_demo(make_state(models, None)), floor_demo()
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, **LAUNCH_OPTIONS)
    _, floor_url, _ = floor.launch(prevent_thread_lock=True, quiet=True)
    threads = torch.get_num_threads()
    torch.set_num_threads(TORCH_THREADS)  # what `python app.py` sets
    try:
        with tempfile.TemporaryDirectory() as folder:
            image, mask = write_inputs(Path(folder))
            clients = [Client(url, verbose=False) for _ in range(args.clients)]
            floor_client = Client(floor_url, verbose=False)
            timed_requests(clients[0], image, mask, args.warm_up)
            timed_requests(floor_client, image, mask, args.warm_up)

            real_times, floor_times = [], []
            start = time.perf_counter()
            for _ in range(args.requests):  # alternating, so both see the same machine
                real_times.append(timed_request(clients[0], image, mask))
                floor_times.append(timed_request(floor_client, image, mask))
            wall = (time.perf_counter() - start) / 2
            sequential, do_nothing = summary(real_times, wall), summary(floor_times, wall)

            share = [args.requests // args.clients + (i < args.requests % args.clients) for i in range(args.clients)]
            start = time.perf_counter()
            with ThreadPoolExecutor(args.clients) as pool:
                per_client = list(pool.map(lambda pair: timed_requests(pair[0], image, mask, pair[1]),
                                           zip(clients, share)))
            concurrent = summary([t for times in per_client for t in times], time.perf_counter() - start)
    finally:
        demo.close()
        floor.close()
        torch.set_num_threads(threads)

    ratio = sequential["p50_ms"] / do_nothing["p50_ms"]
    print(f"/inpaint through gradio_client, model {name}, queue concurrency {CONCURRENCY}, "
          f"{TORCH_THREADS} torch thread(s) per request\n")
    print("| mode | requests | p50 (ms) | p95 (ms) | requests/s |")
    print("|---|---:|---:|---:|---:|")
    for label, figures in (("do-nothing endpoint, same signature", do_nothing), ("sequential", sequential),
                           (f"{args.clients} concurrent clients", concurrent)):
        print(f"| {label} | {figures['requests']} | {figures['p50_ms']:.0f} | {figures['p95_ms']:.0f} "
              f"| {figures['requests_per_second']:.1f} |")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"model": name, "clients": args.clients, "floor": do_nothing,
                                               "sequential": sequential, "concurrent": concurrent,
                                               "p50_over_floor": ratio}, indent=2) + "\n", encoding="utf-8")
        print(f"\nfigures written to {args.json}")
    print(f"app_latency: /inpaint p50 {sequential['p50_ms']:.0f} ms, p95 {sequential['p95_ms']:.0f} ms sequential "
          f"({ratio:.2f}x the do-nothing endpoint's p50 {do_nothing['p50_ms']:.0f} ms); "
          f"p50 {concurrent['p50_ms']:.0f} ms, p95 {concurrent['p95_ms']:.0f} ms with {args.clients} concurrent "
          f"clients ({concurrent['requests_per_second']:.1f} requests/s), model {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
