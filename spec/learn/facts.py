"""Facts about torch itself (claims whose tests never touch the learner's code): their verdict does
not depend on what the learner writes, so --watch checks the ones ahead on the path in the
background while the learner types (killed at the next save), and a walk does not run them again.

They are kept in the progress file per torch version and --devices, as they came out (passed,
changed, unchecked); a fact that failed is not kept and runs in the walk, where it is shown.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Dict, List, Optional

from spec.learn.walk import ClaimResult


def _key(devices: str) -> str:
    import torch
    return f"torch {torch.__version__} · devices {devices}"


def learner_claims(paths) -> set:
    from spec.learn.testmap import claim_tests
    return {c for c, t in claim_tests(tuple(paths)).items() if t.learner_code}


def known(state: dict, devices: str) -> Dict[str, ClaimResult]:
    kept = state.get("facts", {}).get(_key(devices), {})
    return {c: ClaimResult([tuple(o) for o in v]) for c, v in kept.items()}


def remember(state: dict, devices: str, results, mine: set) -> None:
    """Keep this run's facts that came out well (their tests never used the learner's code)."""
    kept = state.setdefault("facts", {})
    for key in [k for k in kept if k != _key(devices)]:
        del kept[key]  # another torch or other devices: not these facts any more
    here = kept.setdefault(_key(devices), {})
    for cid, r in results.items():
        if cid not in mine and not r.learner_code and not r.uses and r.status != "failed" and r.outcomes:
            here[cid] = [list(o) for o in r.outcomes]


def pending(path_ids: List[str], start: Optional[str], state: dict, devices: str, mine: set) -> List[str]:
    """The facts after `start` on the path that are not known yet."""
    ahead = path_ids[path_ids.index(start) + 1:] if start in path_ids else []
    have = known(state, devices)
    return [c for c in ahead if c not in mine and c not in have]


def merge(path_ids: List[str], ran, have: Dict[str, ClaimResult], ids: List[str]):
    """This run's results in path order, with the known facts of `ids` in their places up to the
    first claim that failed (nothing after it is shown or counted)."""
    failing = next((path_ids.index(c) for c in path_ids if c in ran and ran[c].status == "failed"), None)
    out = OrderedDict()
    for c in path_ids:
        if c in ran:
            out[c] = ran[c]
        elif c in ids and c in have and (failing is None or path_ids.index(c) < failing):
            out[c] = have[c]
    return out
