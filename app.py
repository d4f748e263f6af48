"""Inpainting playground: hide part of a 32x32 image and watch the models fill it in.

    python app.py                                  # http://127.0.0.1:7860, the shipped models
    python app.py --model runs/default --examples data/train   # a bundle folder (or Hub repo id) and example images
    python app.py --host 0.0.0.0 --port 8080 --share

Environment: GRADIO_SERVER_NAME, GRADIO_SERVER_PORT, MODEL_REPO (an extra bundle folder or Hub repo id),
SSLMODEL_EXAMPLES (a folder of example images), HF_HUB_OFFLINE=1 (never download anything).
API: `/inpaint` takes an image file, a mask file and a model name, and returns the composite, the raw
reconstruction (32x32 PNGs) and a dict of metrics; see `python app.py` then "Use via API" at the page's foot.
The page itself lives in sslmodel/app/ (state, handlers, layout).
"""

from __future__ import annotations

import argparse
import os
from typing import Sequence

import torch

from sslmodel import shipped_models
from sslmodel.app import LAUNCH_OPTIONS, build_demo, load_state
from sslmodel.app.layout import TORCH_THREADS
from sslmodel.app.sessions import serve

HOST, PORT = "127.0.0.1", 7860


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", HOST),
                        help="address to listen on (default $GRADIO_SERVER_NAME or %(default)s)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", PORT)),
                        help="port (default $GRADIO_SERVER_PORT or %(default)s)")
    parser.add_argument("--share", action="store_true", help="also serve through a public gradio.live link")
    parser.add_argument("--model", action="append", default=[], metavar="FOLDER_OR_REPO_ID",
                        help="an extra bundle folder or Hub repo id to offer (repeatable); $MODEL_REPO adds one too")
    parser.add_argument("--examples", metavar="DIR", help="a folder of example images, class subfolders as labels, "
                        "or 'cifar10' for CIFAR-10's test set (downloaded once). Default: $SSLMODEL_EXAMPLES, else "
                        "the test set if it is cached, else the 100 built-in validation images")
    return parser.parse_args(argv)


def is_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(TORCH_THREADS)
    models = [*shipped_models(), os.environ.get("MODEL_REPO", ""), *args.model]
    state = load_state(models, args.examples, download=not is_offline())
    serve(build_demo(state), server_name=args.host, server_port=args.port, share=args.share, **LAUNCH_OPTIONS)


if __name__ == "__main__":
    main()
