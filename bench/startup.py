"""How long from `python app.py` to the page answering: a first start with nothing cached, then restarts, beside a
do-nothing Gradio app started the same way, all offline with a fresh HOME.

    python bench/startup.py                 # 1 first start and 3 restarts of each
    python bench/startup.py --restarts 5

"Answering" is the page's HTML served (HTTP 200 on /). Every start gets an empty HOME and Gradio temporary folder;
the first start of the app also gets an empty sslmodel cache ($SSLMODEL_CACHE), which its restarts then share, as
a laptop's or a Space's restarts do. The shipped models' maps come with the package, so the first start only
computes what is not shipped.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
from soak import free_port  # bench/ is on the path when a bench script runs

ROOT = Path(__file__).resolve().parent.parent
SOAK = ROOT / "bench" / "soak.py"  # its --serve-floor is the do-nothing app


def seconds_to_answer(command: list[str], port: int, env: dict, limit: float = 300) -> float:
    """Start `command`, poll http://127.0.0.1:port/ until it answers 200, stop the server; the seconds it took."""
    started = time.perf_counter()
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - started < limit:
            if server.poll() is not None:
                raise SystemExit(f"error: {' '.join(command)} exited with {server.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except OSError:
                time.sleep(0.05)
        raise SystemExit(f"error: no answer within {limit:.0f} s")
    finally:
        server.terminate()
        server.wait(timeout=30)


def start(app: bool, cache: Path) -> float:
    port = free_port()
    home = Path(tempfile.mkdtemp(prefix="sslmodel-home-"))
    env = os.environ | {"HOME": str(home), "GRADIO_TEMP_DIR": str(home / "gradio"), "HF_HUB_OFFLINE": "1",
                        "GRADIO_ANALYTICS_ENABLED": "False", "SSLMODEL_CACHE": str(cache)}
    command = ([sys.executable, str(ROOT / "app.py"), "--port", str(port)] if app
               else [sys.executable, str(SOAK), "--serve-floor", str(port)])
    return seconds_to_answer(command, port, env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--restarts", type=int, default=3, help="restarts of each after the first start")
    args = parser.parse_args(argv)
    cache = Path(tempfile.mkdtemp(prefix="sslmodel-cache-"))
    figures = {}
    for app, label in ((False, "do-nothing app"), (True, "app")):
        first = start(app, cache)
        restarts = [start(app, cache) for _ in range(args.restarts)]
        figures[label] = (first, float(np.median(restarts)))
        print(f"{label:>15}: first start {first:5.1f} s, restarts {', '.join(f'{s:.1f}' for s in restarts)} s "
              f"(median {figures[label][1]:.1f} s)", flush=True)
    (floor_first, floor_restart), (app_first, app_restart) = figures["do-nothing app"], figures["app"]
    print(f"startup: restart {app_restart:.1f} s against {floor_restart:.1f} s for a do-nothing app, "
          f"{app_restart / floor_restart:.2f}x; first start {app_first:.1f} s ({app_first / floor_first:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
