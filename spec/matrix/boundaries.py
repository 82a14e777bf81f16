"""Every `holds` boundary of the catalog checked on the two releases around it.

A specifier `<2.0` or `>=2.0` draws the boundary "at 2.0": the last release before it and the first
release at it must show the claim's two sides (holds inside the range, changed outside). `<=2.0` and
`>2.0` draw it "after 2.0". A claim whose boundary does not hold is bisected (O(log n) releases) on
the side that disagrees, to say where the change really is."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from packaging.version import Version

from spec.catalog import Claim
from spec.matrix.bisect import Bisection, bisect

Probe = Callable[[str, Sequence[str]], Dict[str, str]]   # (version, claim ids) -> {claim id: status}


@dataclass
class Boundary:
    version: str                # the specifier's version
    after: bool                 # drawn after it (<=, >) rather than at it (<, >=)
    below: Optional[str]        # the last release on the lower side
    above: Optional[str]        # the first release on the upper side
    claims: List[Claim] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"after {self.version}" if self.after else f"at {self.version}"

    def missing(self) -> str:
        side = "after" if self.after else "before"
        if self.below is None:
            return f"no release {side} {self.version} installs on this Python"
        if self.above is None:
            return f"no release {'after' if self.after else 'at or after'} {self.version} installs on this Python"
        return ""


@dataclass
class Check:
    claim: str
    boundary: Boundary
    expected: Dict[str, str]    # release -> the status the catalog implies
    seen: Dict[str, str]        # release -> the status the run gave
    bisection: Optional[Bisection] = None

    @property
    def confirmed(self) -> bool:
        return not self.boundary.missing() and self.expected == self.seen

    @property
    def verdict(self) -> str:
        if self.confirmed:
            return "confirmed"
        wrong = [f"{v}: {self.seen.get(v, '?')}, expected {e}" for v, e in self.expected.items()
                 if self.seen.get(v) != e]
        if wrong:
            text = "NOT confirmed (" + "; ".join(wrong) + ")"
            if self.bisection and self.bisection.first:
                text += (f": the status changes at {self.bisection.first} "
                         f"({self.bisection.status_before} up to {self.bisection.last_before})")
            elif self.bisection:
                text += f": {self.bisection.note}"
            return text
        return f"one side only ({self.boundary.missing()}); the other side as expected"

    def as_dict(self) -> dict:
        b = self.boundary
        return {"claim": self.claim, "boundary": b.label, "release_before": b.below, "release_at": b.above,
                "expected": self.expected, "seen": self.seen, "confirmed": self.confirmed,
                "verdict": self.verdict, "bisection": self.bisection.as_dict() if self.bisection else None}


def find_boundaries(claims: Iterable[Claim], releases: Sequence[str]) -> List[Boundary]:
    """One Boundary per distinct (version, at/after) of every claim's `holds`, with its two releases."""
    found: Dict[Tuple[str, bool], Boundary] = {}
    ordered = sorted(releases, key=Version)
    for claim in claims:
        for spec in claim.holds or ():
            if spec.operator not in ("<", ">=", "<=", ">"):
                continue
            after = spec.operator in ("<=", ">")
            key = (str(Version(spec.version)), after)
            if key not in found:
                point = Version(spec.version)
                lower = [r for r in ordered if (Version(r) <= point if after else Version(r) < point)]
                upper = [r for r in ordered if r not in lower]
                found[key] = Boundary(key[0], after, lower[-1] if lower else None, upper[0] if upper else None)
            if claim not in found[key].claims:
                found[key].claims.append(claim)
    return sorted(found.values(), key=lambda b: (Version(b.version), b.after))


def expected_status(claim: Claim, version: str) -> str:
    return "holds" if claim.holds_on(version) else "changed"


def check(claims: Iterable[Claim], releases: Sequence[str], probe: Probe,
          cached: Callable[[str], bool] = lambda v: False, locate: bool = True) -> List[Check]:
    """Run each boundary's claims on its two releases (one run per release for all its claims) and
    judge them; a claim that disagrees is bisected on the side that disagrees when `locate`."""
    bounds = find_boundaries(claims, releases)
    wanted: Dict[str, List[str]] = {}
    for b in bounds:
        for v in (b.below, b.above):
            if v:
                wanted.setdefault(v, [])
                wanted[v] += [c.id for c in b.claims if c.id not in wanted[v]]
    seen = {v: probe(v, ids) for v, ids in sorted(wanted.items(), key=lambda kv: Version(kv[0]))}
    ordered = sorted(releases, key=Version)
    checks = []
    for b in bounds:
        for claim in b.claims:
            sides = [v for v in (b.below, b.above) if v]
            result = Check(claim.id, b, {v: expected_status(claim, v) for v in sides},
                           {v: seen[v].get(claim.id, "absent") for v in sides})
            if locate and not result.confirmed and result.expected != result.seen:
                result.bisection = _locate(claim, b, result, ordered, probe, cached)
            checks.append(result)
    return checks


def _locate(claim: Claim, b: Boundary, result: Check, releases: List[str], probe: Probe,
            cached: Callable[[str], bool]) -> Bisection:
    """Bisect on the disagreeing side: an early change below the boundary, a late one above it."""
    if b.below and result.seen[b.below] != result.expected[b.below]:
        span = releases[:releases.index(b.below) + 1]
    else:
        span = releases[releases.index(b.above):]
    return bisect(claim.id, span, lambda v: probe(v, [claim.id]).get(claim.id, "absent"), cached)
