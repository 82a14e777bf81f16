"""The device axis: which device types a run checks, and why an absent one is unchecked."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import torch

from spec.catalog import DEVICE_TYPES


class DeviceError(ValueError):
    """A --devices value that names an unknown or absent device."""


@dataclass(frozen=True)
class Selection:
    run: Tuple[str, ...]            # device types whose tests run
    unavailable: Dict[str, str]     # device type -> why it is unchecked (only with 'auto')


def why_unavailable(device_type: str) -> str:
    """'' when the device type can run here, otherwise the reason in words."""
    if device_type == "cuda" and not torch.cuda.is_available():
        return "CUDA not available" + ("" if torch.version.cuda else " (this torch is a CPU-only build)")
    return ""


def select(option: Optional[str]) -> Selection:
    """'auto' (also when not given at all) or a comma list; an empty value is an error, not 'auto'."""
    option = "auto" if option is None else option.strip()
    if not option:
        raise DeviceError(f"--devices {option!r}: empty; choose from auto, {', '.join(DEVICE_TYPES)} "
                          f"(or a comma list such as cpu,cuda)")
    if option == "auto":
        reasons = {d: why_unavailable(d) for d in DEVICE_TYPES}
        return Selection(run=tuple(d for d in DEVICE_TYPES if not reasons[d]),
                         unavailable={d: r for d, r in reasons.items() if r})
    names = [n.strip() for n in option.split(",") if n.strip()]
    unknown = [n for n in names if n not in DEVICE_TYPES]
    if unknown or not names:
        raise DeviceError(f"--devices {option}: unknown device type {', '.join(unknown) or '(none)'}; "
                          f"choose from auto, {', '.join(DEVICE_TYPES)}")
    for n in names:
        reason = why_unavailable(n)
        if reason:
            raise DeviceError(f"--devices {option}: {n} was requested but {reason}")
    return Selection(run=tuple(names), unavailable={})


def describe() -> Dict[str, dict]:
    """Environment facts per device type, for the report."""
    out = {"cpu": {"available": True, "threads": torch.get_num_threads()}}
    reason = why_unavailable("cuda")
    cuda = {"available": not reason, "cuda_version": torch.version.cuda}
    if reason:
        cuda["reason"] = reason
    else:
        cuda["name"] = torch.cuda.get_device_name(0)
        cuda["count"] = torch.cuda.device_count()
    out["cuda"] = cuda
    return out
