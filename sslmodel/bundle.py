"""Weights bundles: a folder with model.safetensors, config.json and a model card (README.md, from card.py).

The same folder loads from disk or from a Hub repo id, and is what `push_bundle` publishes.
Weights are only ever read from safetensors: nothing from the Hub is unpickled.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .atomic import atomic_path, write_text
from .card import model_card
from .models import build_model

WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"
CARD_NAME = "README.md"
PRETRAINED_DIR = Path(__file__).resolve().parent.parent / "pretrained"
DEFAULT_MODEL = "default"


class BundleError(RuntimeError):
    """A bundle that cannot be loaded; the message says which and why."""


def shipped_models() -> list[str]:
    """Names of the bundles that ship with the repository (folders under pretrained/), default first."""
    names = [path.parent.name for path in PRETRAINED_DIR.glob(f"*/{WEIGHTS_NAME}")]
    return sorted(names, key=lambda name: (name != DEFAULT_MODEL, name))


def save_bundle(model: torch.nn.Module, folder: str | os.PathLike, config: dict[str, Any],
                frames: dict[str, bytes] | None = None) -> Path:
    """Write weights, config and model card; each file atomically. `frames` maps file names to PNG bytes."""
    folder = Path(folder)
    state = {name: tensor.detach().cpu().contiguous() for name, tensor in model.state_dict().items()}
    with atomic_path(folder / WEIGHTS_NAME) as tmp:
        save_file(state, str(tmp), metadata={"format": "pt", "arch": config["arch"]})
    write_text(folder / CONFIG_NAME, json.dumps(config, indent=2, sort_keys=True) + "\n")
    write_text(folder / CARD_NAME, model_card(config))
    for name, png in (frames or {}).items():
        with atomic_path(folder / "frames" / name) as tmp:
            tmp.write_bytes(png)
    return folder


def resolve(name_or_path: str | os.PathLike | None) -> Path:
    """A shipped model's name, a bundle folder or a Hub repo id -> a local folder holding the bundle."""
    name = str(name_or_path) if name_or_path is not None else DEFAULT_MODEL
    if (PRETRAINED_DIR / name / WEIGHTS_NAME).exists() and not os.path.isdir(name):
        return PRETRAINED_DIR / name
    if os.path.isdir(name):
        return Path(name)
    if name.count("/") != 1 or name.startswith((".", "/")):
        shipped = ", ".join(shipped_models()) or "none"
        raise BundleError(f"no bundle {name!r}: not a shipped model ({shipped}), a folder, or a Hub repo id")
    try:
        for file in (CONFIG_NAME, WEIGHTS_NAME):
            path = hf_hub_download(repo_id=name, filename=file)
    except LocalEntryNotFoundError:
        raise BundleError(f"{name} is not in the local Hugging Face cache and the Hub cannot be reached") from None
    except (HfHubHTTPError, OSError, ValueError) as error:
        raise BundleError(f"could not download {name} from the Hub: {error}") from None
    return Path(path).parent


def load_bundle(name_or_path: str | os.PathLike | None = None, device: str | torch.device = "cpu"
                ) -> tuple[torch.nn.Module, dict[str, Any]]:
    """Rebuild a model from its bundle: (model in eval mode, config)."""
    folder = resolve(name_or_path)
    try:
        config = json.loads((folder / CONFIG_NAME).read_text(encoding="utf-8"))
        model = build_model(config["arch"], **config.get("arch_config", {}))
    except FileNotFoundError:
        raise BundleError(f"{folder} has no {CONFIG_NAME}") from None
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise BundleError(f"{folder / CONFIG_NAME} is not a valid bundle config ({error})") from None
    try:
        state = load_file(str(folder / WEIGHTS_NAME), device=str(device))
        model.load_state_dict(state, strict=True)
    except FileNotFoundError:
        raise BundleError(f"{folder} has no {WEIGHTS_NAME}") from None
    except (SafetensorError, RuntimeError, OSError) as error:
        raise BundleError(f"{folder / WEIGHTS_NAME} is corrupt or does not fit {config['arch']}: {error}") from None
    return model.to(device, memory_format=torch.channels_last).eval(), config


def push_bundle(folder: str | os.PathLike, repo_id: str, token: str | None = None, private: bool | None = None) -> str:
    """Publish a bundle folder as a Hub model repo in one commit. The token comes from `hf auth login` or HF_TOKEN."""
    api = HfApi(token=token)
    repo_id = api.create_repo(repo_id=repo_id, private=private, exist_ok=True).repo_id
    commit = api.upload_folder(repo_id=repo_id, repo_type="model", folder_path=str(folder),
                               commit_message="Upload sslmodel inpainting bundle")
    return str(commit)
