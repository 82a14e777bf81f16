"""Speed and memory claims of the PyTorch introduction (seed 003): broadcasting.

Thresholds and why: spec/claims/intro.bench.toml. Helpers: tests/helpers/bench.py.
"""
import pytest
import torch

from tests.helpers.bench import fmt_bytes
from tests.helpers.memory import start

claim = pytest.mark.claim


@claim("bench.broadcast-speed")
def test_broadcasting_beats_a_python_loop_over_rows(bench, device):
    torch.manual_seed(0)
    n = bench.size(10_000, 100)
    x, y = torch.randint(10, (3,), device=device), torch.randint(10, (n, 3), device=device)
    sides = {"x + y (broadcast)": lambda: x + y, "loop over rows": lambda: torch.stack([x + row for row in y]),
             "x.expand(n, 3).contiguous() + y": lambda: x.expand(n, 3).contiguous() + y}
    for side in sides.values():
        assert torch.equal(side(), x + y)
    t = bench.time(sides, rounds=9)
    bench.table(f"(3,) + ({n}, 3) int64", "time", "/ broadcast")
    for name, timing in t.items():
        bench.row(name, timing, bench.ratio(timing, t["x + y (broadcast)"]))
    bench.check("loop over rows / broadcast", t["loop over rows"], t["x + y (broadcast)"], ">=", 100)
    bench.finish(lambda: x + y)


def _add(tutorial, device, copy_first):
    """x + y for (3,) + (4e6, 3) float32, broadcast or after materializing x.expand(n, 3)."""
    x, y = torch.ones(3, device=device), torch.ones(4_000_000, 3, device=device)
    x + y[:2], x.expand(2, 3).contiguous()  # warm-up: first-call initialization stays out of the measurement
    if copy_first:
        return lambda: x.expand(4_000_000, 3).contiguous() + y
    return lambda: x + y


@claim("bench.broadcast-memory")
def test_broadcasting_never_copies_the_small_operand(bench, device):
    measuring = [start(_add, device, device, copy) for copy in (False, True)]
    x = torch.ones(3, device=device)
    expanded = x.expand(4_000_000, 3)
    assert expanded.stride() == (0, 1) and expanded.data_ptr() == x.data_ptr()  # a view, no copy
    broadcast, copied = (m.result().peak for m in measuring)
    bench.table("(3,) + (4e6, 3) float32 (output 48 MB)", "peak memory during the add")
    bench.row("x + y (broadcast)", fmt_bytes(broadcast))
    bench.row("x.expand(n, 3).contiguous() + y", fmt_bytes(copied))
    bench.check("broadcast peak / 48 MB output", broadcast, 48_000_000, "<=", 1.1)
    bench.check("expand().contiguous() peak / broadcast peak", copied, broadcast, ">=", 1.8)
    bench.finish(lambda: x + x)
