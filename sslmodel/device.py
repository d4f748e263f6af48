"""Where training runs and how to describe it: the device, the CPU's cores, a one-line hardware summary."""

from __future__ import annotations

import os
import platform

import torch


class DeviceError(ValueError):
    """A device that does not exist or is not on this machine; the message says which."""


def mps_available() -> bool:
    return bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()


def pick_device(name: str) -> torch.device:
    """`auto` is cuda, then mps, then cpu; otherwise cpu, cuda, cuda:N or mps, which must be on this machine."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "mps" if mps_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        device = None
    # str() differs when torch wrapped the index round (cuda:999 is cuda:-25)
    if device is None or device.type not in ("cpu", "cuda", "mps") or str(device) != name:
        raise DeviceError(f"unknown device {name!r}; use auto, cpu, cuda, cuda:N or mps")
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if device.type == "cuda" and (device.index or 0) >= gpus:
        raise DeviceError(f"device {name!r} is not available: this machine has {gpus} CUDA GPU(s); use auto or cpu")
    if device.type == "mps" and not mps_available():
        raise DeviceError(f"device {name!r} is not available on this machine; use auto or cpu")
    return device


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
