"""Memory footprints of the memory claims, measured so that they reproduce whatever ran before.

A measurement is a *setup* function, at module level, `setup(tutorial, *args) -> work`: it builds the
inputs (and warms up whatever the first call of an operation initializes lazily) and returns the
zero-argument `work` whose footprint is measured. `measure(setup, device, *args, tutorial=...)`
returns a Footprint (`start(...)` begins the same measurement and returns at once; its `.result()` is
the Footprint): `peak` (the most memory in use while work() ran, above what was in use before it)
and `held` (what is still in use after it returned, while its result is alive).

- CPU: every measurement runs in a fresh child process that does nothing else (tests/helpers/fresh.py:
  forked from a server that has imported torch and the setups' modules, or a fresh interpreter where
  there is no forkserver): it imports the setup's module, fixes glibc's mmap threshold (freed large
  blocks go back to the OS), runs setup, collects garbage, resets the high-water mark (VmHWM, through
  /proc/self/clear_refs) and reads VmRSS, runs work(), then reads VmHWM and VmRSS again. A fresh
  process has no freed-but-cached memory that work() could reuse, so the same claim reads the same
  whether it runs alone or after the whole suite. Where /proc cannot be read, or VmHWM cannot be reset
  and setup's own peak would hide work's, the measurement is skipped "unchecked: <reason>".
- CUDA: the caching allocator's counters in this process (memory_allocated, max_memory_allocated after
  reset_peak_memory_stats), after gc.collect(): exact, independent of what ran before.
"""
from __future__ import annotations

import ctypes
import gc
import importlib
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import pytest
import torch

from tests.helpers import fresh

PROC = Path("/proc/self")


@dataclass(frozen=True)
class Footprint:
    peak: int   # bytes: the most in use while work() ran, above the start
    held: int   # bytes: still in use after work() returned, its result alive


class Measurement:
    """A measurement under way (see start); result() waits for it and returns its Footprint, or skips
    the test "unchecked: <reason>" where this machine cannot measure it."""

    def __init__(self, answer: Callable[[], dict]):
        self._answer = answer

    def result(self) -> Footprint:
        found = self._answer()
        if "unchecked" in found:
            pytest.skip(found["unchecked"])
        return Footprint(found["peak"], found["held"])


def start(setup: Callable, device, *args, tutorial=None) -> Measurement:
    """Start measuring setup(tutorial, *args)() on `device`. On the CPU each measurement is a child
    process of its own, so measurements started together run side by side (and beside the test)."""
    if torch.device(device).type == "cuda":
        footprint = _cuda(setup, device, args, tutorial)
        return Measurement(lambda: {"peak": footprint.peak, "held": footprint.held})
    request = {"setup": f"{setup.__module__}:{setup.__qualname__}", "args": list(args),
               "tutorial": None if tutorial is None else {"name": tutorial.__name__, "file": tutorial.__file__}}
    return Measurement(_submit_child(request))


def measure(setup: Callable, device, *args, tutorial=None) -> Footprint:
    """The Footprint of setup(tutorial, *args)() on `device` (see the module docstring)."""
    return start(setup, device, *args, tutorial=tutorial).result()


def _cuda(setup, device, args, tutorial) -> Footprint:
    work = setup(tutorial, *args)
    gc.collect()
    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    base = torch.cuda.memory_allocated(device)
    result = work()
    torch.cuda.synchronize(device)
    footprint = Footprint(torch.cuda.max_memory_allocated(device) - base, torch.cuda.memory_allocated(device) - base)
    del result
    return footprint


def _submit_child(request: dict) -> Callable[[], dict]:
    """Start child_main(request) in a fresh process (tests/helpers/fresh.py); a function that waits for
    its answer."""
    return fresh.submit(f"{__name__}:child_main", request, label=f"memory child for {request['setup']}").result


# --- the child -------------------------------------------------------------------------------------

def _status(field: str) -> int:
    text = (PROC / "status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", text, re.M).group(1)) * 1024


def _reset_high_water_mark() -> Optional[str]:
    """Reset VmHWM to the current RSS; the reason it cannot be, or None."""
    try:
        (PROC / "clear_refs").write_text("5")
        return None
    except OSError as exc:
        return f"/proc/self/clear_refs cannot be written ({exc.strerror or exc})"


def _load_tutorial(spec):
    if spec is None:
        return None
    try:
        module = importlib.import_module(spec["name"])
        if Path(module.__file__).resolve() == Path(spec["file"]).resolve():
            return module
    except ImportError:
        pass
    found = importlib.util.spec_from_file_location(spec["name"], spec["file"])
    module = importlib.util.module_from_spec(found)
    found.loader.exec_module(module)
    return module


M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
MMAP_THRESHOLD = 128 * 1024


def _fix_mmap_threshold() -> None:
    """Keep glibc's mmap threshold at its 128 KiB default instead of letting it grow after a free: blocks
    of 128 KiB and more then always come from (and go back to) the OS, so what the child measures is the
    memory in use, not what the allocator happens to keep cached. Not glibc: nothing to do."""
    try:
        ctypes.CDLL("libc.so.6").mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    except (OSError, AttributeError):
        pass


def child_main(request: dict) -> dict:
    """Run one measurement in this (fresh) process; the answer as a dict."""
    if not (PROC / "status").is_file():
        return {"unchecked": "unchecked: CPU memory needs Linux /proc/self/status (VmRSS, VmHWM)"}
    _fix_mmap_threshold()
    torch.set_num_threads(1)  # no thread pool stacks appearing mid-measurement
    module_name, _, qualname = request["setup"].partition(":")
    setup = getattr(importlib.import_module(module_name), qualname)
    work = setup(_load_tutorial(request["tutorial"]), *request["args"])
    gc.collect()
    cannot_reset = _reset_high_water_mark()
    base = _status("VmRSS")
    if cannot_reset and _status("VmHWM") - base > 2 ** 20:
        return {"unchecked": f"unchecked: {cannot_reset}, and the setup's own peak would hide the measured one"}
    result = work()
    peak, held = _status("VmHWM") - base, _status("VmRSS") - base
    del result
    return {"peak": peak, "held": held}
