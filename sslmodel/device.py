"""Where training runs and how: the device, its precision, the CPU's cores, a one-line hardware summary."""

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


PRECISIONS = ("auto", "fp32", "bf16")
AUTOCAST_DTYPES = {"fp32": None, "bf16": torch.bfloat16}  # what the forward pass runs in; weights stay float32
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")  # x86 instructions that compute in bfloat16 (Linux /proc/cpuinfo names)


def cpu_flags() -> set[str]:
    """The CPU's feature flags as Linux names them in /proc/cpuinfo; empty where there is no such file."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            return set(next(line for line in cpuinfo if line.startswith("flags")).split(":", 1)[1].split())
    except (OSError, StopIteration):
        return set()


def fast_bf16(device: torch.device) -> bool:
    """Whether bfloat16 autocast makes training faster on `device`: a CUDA GPU with bfloat16 arithmetic, or a CPU
    whose oneDNN kernels can use bfloat16 instructions (AVX512_BF16 or AMX). Without them torch runs bfloat16
    convolutions on slow fallback kernels: 10x slower than float32 on an AVX2-only EPYC."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported(including_emulation=False)
    if device.type == "cpu":
        return torch.backends.mkldnn.is_available() and any(flag in cpu_flags() for flag in BF16_CPU_FLAGS)
    return False


def pick_precision(name: str, device: torch.device) -> str:
    """`auto` is bf16 where it is fast (fast_bf16), else fp32; fp32 and bf16 are taken as they are."""
    if name not in PRECISIONS:
        raise DeviceError(f"unknown precision {name!r}; use {', '.join(PRECISIONS)}")
    if name == "auto":
        return "bf16" if fast_bf16(device) else "fp32"
    return name


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
    isa = torch.backends.cpu.get_cpu_capability() + ("+BF16" if fast_bf16(device) else "")
    return (f"{cpu_count()}-core CPU ({model}, {isa}), {world_size} process(es) x {torch.get_num_threads()} "
            "thread(s)")
