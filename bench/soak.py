"""Does the server's memory stay flat? N requests to /inpaint from several clients over plain HTTP, and page
sessions in between, the server's resident memory and its temporary folders every 1,000 requests, and the slope
after a warm-up, beside the same soak of a do-nothing Gradio app with the same signature (two files and a model
name in, two images and a JSON out).

    python bench/soak.py                              # 10,000 requests after 1,000 of warm-up, 4 clients, 200 pages
    python bench/soak.py --requests 3000 --warmup 1000 --every 500 --pages 60
    python bench/soak.py --floor                      # the do-nothing app alone

Each server runs in a process of its own (`python app.py`, or this script's --serve-floor), with its own Gradio
temporary folder, so the resident memory read from /proc is the server's alone. An API request is what a script
without gradio_client sends (bench/gradio_http.py): upload the image and the mask, POST /gradio_api/call/inpaint,
read the event stream; each one opens a new session on the server. A page session is a browser tab's traffic: the
page and its config, its load events, two gallery picks, two brush strokes and a random mask, under one session
(on the do-nothing app: the page, its config and its load events). Images are random, 32 to 100 px, with random
masks, and every shipped model in turn. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import httpx
from gradio_http import PageSession, call_api, upload
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
INPUTS = 64  # distinct image and mask files the clients cycle through


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def resident_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def folder_usage(folder: Path) -> tuple[int, float]:
    """(entries, MB) of every file and folder under `folder`."""
    entries, size = 0, 0
    for path in folder.rglob("*"):
        entries += 1
        try:
            size += path.stat().st_size if path.is_file() else 0
        except FileNotFoundError:
            continue
    return entries, size / 2**20


def write_inputs(folder: Path, seed: int = 0) -> list[tuple[str, str]]:
    """Random images of 32 to 100 px and 32x32 masks (white = missing) of random coverage."""
    rng = np.random.default_rng(seed)
    pairs = []
    for i in range(INPUTS):
        side = int(rng.integers(32, 101))
        image, mask = folder / f"image{i}.png", folder / f"mask{i}.png"
        Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8)).save(image)
        Image.fromarray(((rng.random((32, 32)) < rng.uniform(0.05, 0.6)) * 255).astype(np.uint8)).save(mask)
        pairs.append((str(image), str(mask)))
    return pairs


def serve_floor(port: int) -> None:
    """The do-nothing app of bench/app_latency.py, with the app's queue settings, in this process."""
    from app_latency import floor_demo  # bench/ is on the path when a bench script runs

    floor_demo().launch(server_port=port, prevent_thread_lock=False)


def start_server(floor: bool, temp_dir: Path, checkout: Path = ROOT, options: Sequence[str] = ()
                 ) -> tuple[subprocess.Popen, str]:
    """The do-nothing app, or `python app.py` with `options` from the working tree `checkout` (another commit's
    for a before-and-after), in a process of its own, offline; (the process, its address) once it listens."""
    port = free_port()
    command = ([sys.executable, __file__, "--serve-floor", str(port)] if floor
               else [sys.executable, str(Path(checkout) / "app.py"), "--port", str(port), *options])
    env = os.environ | {"GRADIO_TEMP_DIR": str(temp_dir), "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    server = subprocess.Popen(command, cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(240):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server, url
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"error: the server exited with {server.returncode} before it listened")
            time.sleep(0.5)
    server.kill()
    raise SystemExit("error: the server did not listen within 2 minutes")


def slope_per_thousand(requests: list[int], values: list[float]) -> float:
    """Least-squares growth per 1,000 requests."""
    if len(requests) < 2:
        return float("nan")
    return float(np.polyfit(np.asarray(requests) / 1000, np.asarray(values), 1)[0])


def api_request(http: httpx.Client, url: str, image: str, mask: str, model: str) -> None:
    call_api(http, url, "inpaint", [upload(http, url, image), upload(http, url, mask), model])


def page_session(http: httpx.Client, url: str, seed: int) -> None:
    """A tab: the page, its load events, and where the page has them, picks, strokes and a random mask."""
    page = PageSession(http, url)
    page.trigger("load")
    if not page.dependencies("select", "examples"):
        return
    rng = np.random.default_rng(seed)
    painter = page.component("painter")
    for _ in range(2):
        page.trigger("select", "examples", event_data={"index": int(rng.integers(0, 30)), "value": None})
        value = dict(page.values[painter])
        value["holes"] = "".join(np.where(rng.random(1024) < 0.3, "1", "0"))
        page.trigger("input", "painter", changes={painter: value})
    page.trigger("click", "randomize")


def soak(floor: bool, args: argparse.Namespace, inputs: list[tuple[str, str]], models: list[str]) -> dict:
    temp_dir = Path(tempfile.mkdtemp(prefix="sslmodel-soak-"))
    server, url = start_server(floor, temp_dir)
    label = "do-nothing app" if floor else "app"
    total, rows, errors = args.warmup + args.requests, [], 0
    pages_every = max(args.requests // args.pages, 1) if args.pages else 0  # during the measured requests
    http = httpx.Client(timeout=httpx.Timeout(120.0), limits=httpx.Limits(max_connections=2 * args.clients))

    def request(i: int) -> int:
        """One API request, and a page session where one is due; 1 if anything failed."""
        image, mask = inputs[i % len(inputs)]
        try:
            api_request(http, url, image, mask, models[i % len(models)] if models else "")
            if pages_every and i >= args.warmup and (i - args.warmup) % pages_every == 0:
                page_session(http, url, seed=i)
        except (httpx.HTTPError, RuntimeError) as error:
            print(f"{label}: request {i} failed: {error}", flush=True)
            return 1
        return 0

    try:
        done, started = 0, time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            while done < total:
                chunk = min(args.every, total - done)
                errors += sum(pool.map(request, range(done, done + chunk)))
                done += chunk
                entries, megabytes = folder_usage(temp_dir)
                rows.append({"requests": done, "rss_mb": resident_mb(server.pid), "temp_entries": entries,
                             "temp_mb": megabytes})
                print(f"{label:>15}: {done:>6} requests  RSS {rows[-1]['rss_mb']:7.1f} MB  temp {entries:6d} "
                      f"entries {megabytes:6.1f} MB  ({done / (time.perf_counter() - started):.1f} req/s, "
                      f"{errors} errors)", flush=True)
    finally:
        http.close()
        server.terminate()
        server.wait(timeout=30)
    after = [row for row in rows if row["requests"] >= args.warmup]
    counts = [row["requests"] for row in after]
    return {"label": label, "rows": rows, "errors": errors,
            "rss_slope": slope_per_thousand(counts, [row["rss_mb"] for row in after]),
            "temp_mb_slope": slope_per_thousand(counts, [row["temp_mb"] for row in after]),
            "temp_entries_slope": slope_per_thousand(counts, [row["temp_entries"] for row in after])}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=10_000, help="requests measured after the warm-up")
    parser.add_argument("--warmup", type=int, default=1_000, help="requests before the slope is measured")
    parser.add_argument("--clients", type=int, default=4, help="clients sending at once")
    parser.add_argument("--every", type=int, default=1_000, help="requests between two readings")
    parser.add_argument("--pages", type=int, default=200, help="page sessions, spread over the measured requests")
    parser.add_argument("--floor", action="store_true", help="soak only the do-nothing app")
    parser.add_argument("--no-floor", action="store_true", help="soak only the app")
    parser.add_argument("--serve-floor", type=int, metavar="PORT", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve_floor:
        serve_floor(args.serve_floor)
        return 0
    sys.path.insert(0, str(ROOT))
    from sslmodel import shipped_models

    inputs = write_inputs(Path(tempfile.mkdtemp(prefix="sslmodel-soak-inputs-")))
    runs = [floor for floor in (False, True) if not (floor and args.no_floor) and not (not floor and args.floor)]
    results = [soak(floor, args, inputs, shipped_models()) for floor in runs]
    for result in results:
        print(f"{result['label']}: after {args.warmup} requests of warm-up, RSS {result['rss_slope']:+.1f} MB, "
              f"temporary files {result['temp_mb_slope']:+.1f} MB and {result['temp_entries_slope']:+.0f} entries "
              f"per 1,000 requests; peak RSS {max(row['rss_mb'] for row in result['rows']):.0f} MB; "
              f"{result['errors']} errors")
    line = "; ".join(f"{r['label']} RSS {r['rss_slope']:+.1f} MB per 1,000" for r in results)
    print(f"soak: {args.requests} requests after {args.warmup} of warm-up, {args.clients} clients, {args.pages} "
          f"page sessions: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
