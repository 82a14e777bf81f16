"""Which of the learner's calls a failure's explanation lists: those the failing check names, those
its claim's tests use, and those made inside the call that crashed or the call the check names (not every
data helper called on the way); an input handed on to the named call is one short line."""
from __future__ import annotations

import os
import re
from typing import List, Optional

from spec.learn.recorder import Call, Recorder


def relevant(recorder: Recorder, exercises, said: str = "") -> List[str]:
    """The calls worth showing for a failure: those of the exercises the failing check names (its line,
    its message) and those the claim's tests use (`exercises`; not every data helper called on the
    way), the last call that returned, the calls made inside a shown call that raised (a wrong
    result handed on to the code that then failed) and those made inside a named call (its helpers);
    every call when that leaves nothing that returned."""
    names = list(recorder.last)
    if exercises is None:
        return names
    top = {n: n.split(".")[0] for n in names}
    named = {n for n in names if re.search(rf"\b{re.escape(top[n])}\b", said)}
    keep = named | {n for n in names if top[n] in exercises}
    returned = [n for n in names if recorder.last[n].raised is None]
    if returned:  # the last value handed back before the failure, wherever it was called from
        keep.add(returned[-1])
    crashed = [recorder.last[n].seq for n in keep if recorder.last[n].raised is not None
               and recorder.last[n].seq]
    if crashed:
        keep |= {n for n in names if recorder.last[n].seq > min(crashed)}
    # the calls made inside a named one (started after it, recorded before it: `names` is in the order
    # the calls ended): a helper of the learner's that did the wrong thing for the call the check names
    pos = {n: i for i, n in enumerate(names)}
    for x in named:
        keep |= {n for n in names if recorder.last[n].seq > recorder.last[x].seq and pos[n] < pos[x]}
    if not named and not any(recorder.last[n].raised is None for n in keep):
        keep = set(names)
    return [n for n in names if n in keep]


def fed(call: Call, consumer: Call) -> bool:
    """Was (a part of) `call`'s result an argument of `consumer`, a later call?"""
    parts = [call.result] + (list(call.result) if isinstance(call.result, (tuple, list)) else [])
    given = list(consumer.args) + list(consumer.kwargs.values())
    return consumer.seq > call.seq and any(p is a for p in parts for a in given
                                           if not isinstance(a, (bool, int, float, str, type(None))))


def brief(value) -> str:
    """A value's kind and size, without its numbers: 'tuple of 4', 'tensor of shape (80, 1)'."""
    if isinstance(value, (tuple, list)):
        return f"{type(value).__name__} of {len(value)}"
    shape = getattr(value, "shape", None)
    return f"{type(value).__name__} of shape {tuple(shape)}" if shape is not None else type(value).__name__


def claim_exercises(item) -> Optional[set]:
    """The tutorial names the failing test's claim uses in its own test functions, else through
    its helpers (None: unknown)."""
    marker = item.get_closest_marker("claim")
    if marker is None or not marker.args:
        return None
    from spec.learn.testmap import claim_tests
    try:
        tests = claim_tests((os.path.dirname(str(item.path)),))
    except (OSError, SyntaxError, ValueError):
        return None
    ct = tests.get(marker.args[0])
    return set(ct.direct or ct.names) if ct is not None else None
