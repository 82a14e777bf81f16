"""Write spec/learn/reference_times.toml: seconds each claim's tests take against the reference code
(setup + call + teardown, summed over the claim's tests, on CPU). Learner mode's default time limit per
claim is 10x this, at least 5 s. Rerun when the tests or the tutorial code change a lot:

    python scripts/learn_reference_times.py [--repeat 3]      (keeps the slowest of the runs)
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class Durations:
    def __init__(self):
        self.seconds = {}

    def pytest_runtest_logreport(self, report):
        cid = dict(report.user_properties).get("claim")
        if cid:
            self.seconds[cid] = self.seconds.get(cid, 0.0) + report.duration


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=1)
    args = p.parse_args()
    from spec.catalog import load_catalog
    from spec.learn.state import path_of
    from spec.learn.walk import run_walk
    ids = path_of(load_catalog(), None, None)
    worst = {}
    for _ in range(args.repeat):
        d = Durations()
        run_walk(ids, None, devices="cpu", stop=False, plugins=[d])
        for cid, s in d.seconds.items():
            worst[cid] = max(worst.get(cid, 0.0), s)
    out = ROOT / "spec" / "learn" / "reference_times.toml"
    lines = ["# seconds per claim against the reference code (scripts/learn_reference_times.py)"]
    lines += [f'"{k}" = {v:.3f}' for k, v in sorted(worst.items())]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    slow = sorted(worst.items(), key=lambda kv: -kv[1])[:5]
    print(f"wrote {out} ({len(worst)} claims); slowest: " + ", ".join(f"{k} {v:.2f} s" for k, v in slow))
    return 0


if __name__ == "__main__":
    sys.exit(main())
