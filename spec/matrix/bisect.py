"""Bisection over real torch releases: the first release where a claim's status changes.

`probe(version)` gives the claim's status on a release (installing it when needed: the slow part),
`cached(version)` says whether a release is already installed. Each step probes a release in the
middle half of the remaining range, a cached one when there is one (so drift hunts reuse the cache),
else the middle: O(log n) probes, and no more installs than plain bisection."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence


@dataclass
class Bisection:
    claim: str
    releases: List[str]                 # the range searched, oldest first
    probes: Dict[str, str] = field(default_factory=dict)   # version -> status, in probing order
    first: Optional[str] = None         # the first release whose status differs from the oldest's
    last_before: Optional[str] = None   # the release before it
    note: str = ""

    @property
    def status_before(self) -> str:
        return self.probes.get(self.last_before or self.releases[0], "")

    @property
    def status_after(self) -> str:
        return self.probes.get(self.first or self.releases[-1], "")

    def as_dict(self) -> dict:
        return {"claim": self.claim, "from": self.releases[0], "to": self.releases[-1],
                "first_changed": self.first, "last_before": self.last_before,
                "status_before": self.status_before, "status_after": self.status_after,
                "probes": dict(self.probes), "note": self.note}


def pick(releases: Sequence[str], lo: int, hi: int, cached: Callable[[str], bool]) -> int:
    """An index strictly between lo and hi: a cached release in the middle half, nearest the middle,
    else the middle."""
    mid = (lo + hi) // 2
    quarter = max((hi - lo) // 4, 0)
    near = [i for i in range(max(lo + 1, mid - quarter), min(hi - 1, mid + quarter) + 1) if cached(releases[i])]
    return min(near, key=lambda i: (abs(i - mid), i)) if near else mid


def bisect(claim: str, releases: Sequence[str], probe: Callable[[str], str],
           cached: Callable[[str], bool] = lambda v: False) -> Bisection:
    result = Bisection(claim=claim, releases=list(releases))
    if len(releases) < 2:
        result.note = "fewer than two releases in the range: nothing to bisect"
        return result

    def status(i: int) -> str:
        v = releases[i]
        if v not in result.probes:
            result.probes[v] = probe(v)
        return result.probes[v]

    lo, hi = 0, len(releases) - 1
    start, end = status(lo), status(hi)
    if start == end:
        result.note = (f"the same status ({start}) at {releases[lo]} and {releases[hi]}: no change found "
                       f"(a change and its reversal in between would not show)")
        return result
    while hi - lo > 1:  # invariant: status(lo) == start != status(hi)
        mid = pick(releases, lo, hi, cached)
        if status(mid) == start:
            lo = mid
        else:
            hi = mid
    result.first, result.last_before = releases[hi], releases[lo]
    result.note = f"{start} up to {releases[lo]}, {status(hi)} from {releases[hi]}"
    return result
