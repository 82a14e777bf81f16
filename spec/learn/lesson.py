"""One `python -m spec learn DIR` run (and one --watch round): decide what to run, run it in the
worker, update the progress file, print the verdict.

What runs, fastest feedback first:
1. the claims that passed before and whose tests use a function or class changed since the last run
   (a regression is reported at the save that caused it), then the claim the learner is on;
2. if all of those pass, the path from there on, up to the next failing claim.
Without a claim to resume at (first run, --list, a finished path) the whole path is walked.
"""
from __future__ import annotations

import datetime as _dt
import os
import re
import time
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Dict, List, Optional

from spec.learn import facts, show, worker
from spec.learn.state import (changed_names, function_hashes, load_state, path_of, progress,
                              save_state, state_path, top_level)
from spec.learn.testmap import files_for
from spec.learn.walk import DONE, ClaimResult

INTERRUPTED = 130  # the shell's code for Ctrl-C
FILE_PROBLEM = re.compile(r": your file is not valid Python|: importing your file failed|"
                          r" does not exist: this workspace has no exercises")


def _regressions(path_ids: List[str], upto: int, state: dict, changed: Optional[set]) -> List[str]:
    passed, uses = state.get("passed", {}), state.get("uses", {})
    again = set(state.get("recheck", []))
    if changed:
        again |= {c for c in path_ids[:upto] if {top_level(u) for u in uses.get(c, [])} & changed}
    return [c for c in path_ids[:upto] if c in again and c in passed]


def learn_once(args, catalog, write=print, poll: Optional[Callable[[], bool]] = None) -> int:
    learner = args.workspace
    ws = Path(learner) if learner else None
    path_ids = path_of(catalog, args.tutorial, args.start)
    sp = state_path(ws) if ws else None
    state = load_state(sp)
    started = time.monotonic()
    hashes = function_hashes(ws)
    changed = changed_names(state["hashes"], hashes) if "hashes" in state else None
    current = state.get("current")

    def go(ids):
        return worker.run(ids, learner, args.devices, paths=files_for(ids, args.paths),
                          extra=args.extra, timeout=args.timeout, poll=poll)

    mine = facts.learner_claims(args.paths)
    have = facts.known(state, args.devices)

    regress: List[str] = []
    if args.list or current not in path_ids:
        kind, planned = "walk", list(path_ids)
        outcome = go(planned)
    else:
        at = path_ids.index(current)
        regress = _regressions(path_ids, at, state, changed)
        kind, planned = "recheck", regress + [current]
        outcome = go(planned)
        ok = not outcome.failed and outcome.code in (0, 1, 5) and not _ended_early(outcome)
        ahead = path_ids[at + 1:]
        to_run = [c for c in ahead if c not in have]  # facts checked before need not run again
        if ok and to_run:
            rest = go(to_run)
            ran = OrderedDict(list(outcome.results.items()) + list(rest.results.items()))
            rest.results = facts.merge(path_ids, ran, have, ahead)
            kind, planned, outcome = "walk-on", planned + ahead, rest
        elif ok:
            kind = "walk-on"
    if not _ended_early(outcome):
        facts.remember(state, args.devices, outcome.results, mine)
    return report(args, catalog, path_ids, outcome, kind, planned, regress, state, sp, hashes,
                  started, write)


def check_facts_ahead(args, catalog, poll: Optional[Callable[[], bool]] = None) -> int:
    """--watch, while the learner types: check the facts ahead of the claim they are on (a save
    stops it; what finished is kept). Returns how many were checked."""
    ws = Path(args.workspace)
    sp = state_path(ws)
    state = load_state(sp)
    path_ids = path_of(catalog, args.tutorial, args.start)
    todo = facts.pending(path_ids, state.get("current"), state, args.devices,
                         facts.learner_claims(args.paths))
    if not todo:
        return 0
    outcome = worker.run(todo, None, args.devices, paths=files_for(todo, args.paths), extra=args.extra,
                         timeout=args.timeout, poll=poll, stop=False)
    if outcome.interrupted_at:
        raise KeyboardInterrupt  # Ctrl-C while waiting: the watcher stops
    state = load_state(sp)  # unchanged meanwhile: the watcher runs one thing at a time
    facts.remember(state, args.devices, outcome.results, facts.learner_claims(args.paths))
    save_state(sp, state)
    return len(outcome.results)


def _ended_early(outcome) -> bool:
    return bool(outcome.interrupted_at or outcome.cancelled)


def _statuses(path_ids, results, state) -> Dict[str, ClaimResult]:
    """The status of every claim of the path: this run's result, else what the progress file knows."""
    out: Dict[str, ClaimResult] = {}
    for cid in path_ids:
        if cid in results:
            out[cid] = results[cid]
        elif cid in state.get("passed", {}):
            kind = "changed" if cid in state.get("changed", []) else "passed"
            out[cid] = ClaimResult([(kind, "")])
        elif cid in state.get("unchecked", {}):
            kept = state["unchecked"][cid]  # each device's reason (a list), or one text (older files)
            out[cid] = ClaimResult([("unchecked", d) for d in ([kept] if isinstance(kept, str) else kept)])
    return out


def _update(catalog, state, results, failing, stopped_at) -> List[str]:
    """Record this run in the state; returns the claims newly passed."""
    now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    passed = state.setdefault("passed", {})
    newly = []
    for cid, r in results.items():
        if cid == stopped_at:
            continue
        if r.status in DONE:
            if cid not in passed:
                newly.append(cid)
            passed[cid] = passed.get(cid, now)
            state.setdefault("uses", {})[cid] = r.uses
            changed = set(state.get("changed", []))
            state["changed"] = sorted(changed | {cid} if r.status == "changed" else changed - {cid})
        elif r.status == "failed":
            passed.pop(cid, None)  # a claim that passed once but fails now is not learned any more
            state.get("unchecked", {}).pop(cid, None)
        elif r.status == "unchecked":
            state.setdefault("unchecked", {})[cid] = sorted({d for k, d in r.outcomes if k == "unchecked"})
    state["errata_met"] = sorted(set(state.get("errata_met", [])) | {
        c for c in passed if c in catalog.claims and catalog.claims[c].erratum})
    return newly


def report(args, catalog, path_ids, outcome, kind, planned, regress, state, sp, hashes, started,
           write) -> int:
    results = outcome.results
    if outcome.cancelled:
        write("(saved again while checking: starting over)")
        return 0
    if not outcome.interrupted_at and (outcome.code in (3, 4) or (outcome.code == 2 and not results)):
        said = [ln for ln in outcome.output.strip().splitlines() if ln.strip()]
        if len(said) == 1 and said[0].startswith("ERROR: "):  # a usage error (--devices bogus)
            write(f"torch-spec learn: {said[0][len('ERROR: '):]}")
            return 2
        write("torch-spec learn: pytest could not run the claims:")
        write(outcome.output.strip()[-3000:])
        return 2
    failing = next((c for c in path_ids if c in results and results[c].status == "failed"), None)
    expl = (results[failing].explanation or {}) if failing else {}
    if failing and FILE_PROBLEM.search(expl.get("error") or ""):
        return _file_problem(args, catalog, state, expl, write)
    stopped_at = outcome.interrupted_at and outcome.running
    was_passed = set(state.get("passed", {}))
    newly = _update(catalog, state, results, failing, stopped_at)
    # claims the save may have broken that did not get to run: check them next time
    state["recheck"] = [c for c in regress if c not in results or c == stopped_at]
    state["current"] = failing or (stopped_at if outcome.interrupted_at else None) or \
        (state.get("current") if outcome.interrupted_at else None)
    state["runs"] = state.get("runs", 0) + 1
    if not outcome.interrupted_at:
        state["hashes"] = hashes
    if args.workspace:
        state["workspace"] = os.path.abspath(args.workspace)
    save_state(sp, state)
    elapsed = time.monotonic() - started
    counts = progress(catalog, state, Path(args.workspace) if args.workspace else None, args.paths)
    statuses = _statuses(path_ids, results, state)

    if args.list:
        show.show_list(catalog, path_ids, statuses, write)
        write("")
        write(show.progress_line(catalog, counts, statuses, path_ids, failing))
        return 1 if failing else 0
    show.show_passed(catalog, newly if kind != "recheck" else [c for c in newly if c in results],
                     results, write, args.paths)
    if outcome.interrupted_at:
        where = outcome.interrupted_at
        write(f"interrupted at {where}: nothing after it was checked or counted")
        write(show.progress_line(catalog, counts, statuses, path_ids, None) + f"   ({elapsed:.1f} s)")
        return INTERRUPTED
    if failing is not None:
        if kind != "recheck":
            show.show_unchecked(catalog, results, path_ids, failing, write)  # this run's only
        if kind == "recheck":
            also = f"{len(regress)} claim{'s' if len(regress) > 1 else ''} your save could have " \
                f"broken, then " if regress else ""
            write(f"(rechecked {also}the claim you are on; {elapsed:.1f} s)")
        write(show.progress_line(catalog, counts, statuses, path_ids, failing) +
              ("" if kind == "recheck" else f"   ({elapsed:.1f} s)"))
        write("")
        if failing in was_passed:
            write(f"This passed before and fails now: your last save broke {failing}.")
        show.show_failure(catalog, failing, results[failing], args.hint, args.workspace, write,
                          hint_level=_hint_level(args, state, failing, sp), paths=args.paths)
        return 1
    show.show_unchecked(catalog, statuses, path_ids, None, write)
    write(show.progress_line(catalog, counts, statuses, path_ids, None) + f"   ({elapsed:.1f} s)")
    write("")
    from spec.learn.testmap import claim_tests
    mine = {c for c, t in claim_tests(tuple(args.paths)).items() if t.learner_code}
    show.show_summary(catalog, path_ids, statuses, write, mine=mine)
    return 0


def _hint_level(args, state, failing, sp) -> int:
    """0: no hint; 1: the hint; 2: the tutorial's code too (--hint asked again on the same claim, or
    --show)."""
    if getattr(args, "show", False):
        return 2
    if not args.hint:
        return 0
    asked = state.setdefault("hints", {})
    level = 2 if asked.get(failing, 0) >= 1 else 1
    asked[failing] = asked.get(failing, 0) + 1
    save_state(sp, state)
    return level


def _file_problem(args, catalog, state, expl, write) -> int:
    """A workspace file that does not load: a problem of the file, not of a claim; progress is kept."""
    write(f"{show.FAIL_MARK} your file does not load, so no claim could be checked:")
    for ln in (expl.get("error") or "").splitlines():
        write("  " + ln)
    write("")
    counts = progress(catalog, state, Path(args.workspace) if args.workspace else None, args.paths)
    write(f"(your progress is kept: {show.counts_text(counts)})")
    return 1
