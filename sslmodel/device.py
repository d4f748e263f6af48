"""Where training runs and how to describe it: the device, the CPU's cores, a one-line hardware summary."""

from __future__ import annotations

import os
import platform

import torch


def pick_device(name: str) -> torch.device:
    """`auto` is cuda, then mps, then cpu; anything else is taken as a torch device name."""
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def cpu_count() -> int:
    """The cores this process may run on (its affinity), not the machine's total."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def hardware_description(device: torch.device, world_size: int = 1) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            model = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu_count()}-core CPU ({model}), {world_size} process(es) x {torch.get_num_threads()} thread(s)"
