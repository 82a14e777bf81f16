"""Printing: the failing claim, the progress line, the list with ✓ ✗ · marks, the summary."""
from __future__ import annotations

from collections import OrderedDict
from typing import List, Optional, Sequence, Tuple

from spec.learn.walk import DONE, ClaimResult

PASS_MARK, FAIL_MARK, TODO_MARK = "✓", "✗", "·"


def _wrap(text: str, indent: str, width: int = 100, subsequent: Optional[str] = None) -> List[str]:
    import textwrap
    return textwrap.wrap(" ".join(text.split()), width=width, initial_indent=indent,
                         subsequent_indent=indent if subsequent is None else subsequent) or [indent]


def counts_text(counts) -> str:
    return (f"exercises {counts['exercises']}/{counts['exercises_total']} · "
            f"your claims {counts['claims']}/{counts['claims_total']} · "
            f"facts checked along the way {counts['facts']}/{counts['facts_total']}")


def progress_line(catalog, counts, statuses, path_ids: Sequence[str], current: Optional[str]) -> str:
    """One denominator for every run (the whole catalog's path, also under --from and --tutorial):
    the exercises and the claims that exercise your code are your progress; claims about torch itself
    are facts checked along the way, not credited."""
    unchecked = sum(1 for cid in path_ids if cid in statuses and statuses[cid].status == "unchecked")
    where = ""
    if current is not None:
        c = catalog.claims[current]
        where = f" · {catalog.tutorial(c.tutorial).title} › {c.section}"
    extra = f" ({unchecked} unchecked here, not counted)" if unchecked else ""
    return f"{counts_text(counts)}{extra}{where}"


def true_now(claim) -> str:
    """What is true on this torch: `says`, or for a claim outside its `holds` range, `otherwise`."""
    import torch
    if claim.holds is not None and not claim.holds_on(torch.__version__):
        return claim.otherwise or claim.says
    return claim.says


def show_passed(catalog, newly, results, write=print, paths=("tests/claims",)) -> None:
    """The claims that passed in this run: what is true now (for a changed claim: how it changed),
    and a check this machine could not make (no CUDA) named beside it, never hidden in the ✓."""
    if not newly:
        return
    shown = newly[-5:]
    if len(newly) > len(shown):
        write(f"{PASS_MARK} {len(newly) - len(shown)} more claims passed")
    for cid in shown:
        c = catalog.claims[cid]
        r = results.get(cid)
        tag = " (changed on this torch)" if r is not None and r.status == "changed" else \
            " (the tutorial is wrong here)" if c.erratum else ""
        write(f"{PASS_MARK} {cid}{tag}: {' '.join(true_now(c).split())}")
    # your code on a device this machine lacks was not run: a forgotten .to(device) would not show
    # there (the device="meta" checks catch it where they can); say so, never hide it in the ✓
    skipped = {}
    for cid in newly:
        r = results.get(cid)
        if r is not None and r.learner_code:
            for reason in r.unchecked_reasons():
                skipped.setdefault(reason, []).append(cid)
    for reason, ids in skipped.items():
        for ln in _wrap(f"{TODO_MARK} your code in {len(ids)} of these claims on another device: "
                        f"unchecked here ({reason})", "", subsequent="    "):
            write(ln)
    write("")


def nearby_errata(catalog, cid: str, expl: dict) -> List[Tuple[str, bool]]:
    """The errata a learner's failure may share with the tutorial's printed code, each with whether the
    failure itself points at it (the erratum quotes the error message, or names code the diagnosis
    names, e.g. optimizer.zero_grad()): those of its tutorial that it points at, and the others of the
    failing claim's section (shown as errata of the section, not as the cause)."""
    import re
    c = catalog.claims[cid]
    error = (expl.get("error") or "").splitlines()[0] if expl.get("error") else ""
    message = error.split(": ", 1)[1].strip() if ": " in error else ""
    said = " ".join(expl.get("calls") or [])
    out = []
    for other in catalog.claims.values():
        if other.id == cid or not other.erratum or other.tutorial != c.tutorial:
            continue
        tokens = {t.rstrip(".,;:") for t in re.findall(r"[\w.]*(?:_\w+|\(\)|\[\d\])[\w.()]*", other.erratum)}
        points = (len(message) >= 20 and message[:60] in other.erratum) or any(len(t) >= 6 and (t in said or t in error) for t in tokens)
        if points or other.section == c.section:
            out.append((other.erratum, points))
    return out


def show_failure(catalog, cid: str, result: ClaimResult, hint: bool, learner: Optional[str],
                 write=print, hint_level: Optional[int] = None, paths=("tests/claims",)) -> None:
    c = catalog.claims[cid]
    t = catalog.tutorial(c.tutorial)
    write(f"{FAIL_MARK} {cid}   ({t.title} › {c.section})")
    write(f"  The tutorial says: “{' '.join(c.quote.split())}”")
    for ln in _wrap(true_now(c), "  What is true:      ", subsequent=" " * 21):
        write(ln)
    if c.erratum:
        for ln in _wrap(f"Careful, the tutorial is wrong here: {c.erratum}", "  ", subsequent="    "):
            write(ln)
    if c.holds is not None:
        for ln in _wrap(f"(The tutorial's statement holds on torch {c.holds}; otherwise: {c.otherwise})",
                        "  ", subsequent="    "):
            write(ln)
    expl = result.explanation or {}
    for erratum, points in ([] if expl.get("todo") else nearby_errata(catalog, cid, expl)):
        said = "The tutorial's printed code does this too" if points else "This section of the tutorial is wrong here too"
        for ln in _wrap(f"{said}: {erratum}", "  ", subsequent="    "):
            write(ln)
    write("")
    expl = result.explanation or {}
    if "when" in expl:
        from spec.learn.explanations import render
        for ln in render(expl, "  "):
            write(ln)
    else:
        from spec.learn.explanations import without_pytest_advice
        for ln in without_pytest_advice(expl.get("error") or "failed")[-20:]:
            write("  " + ln)
    write(f"  ({expl.get('nodeid') or result.outcomes[0][1]})")
    level = (1 if hint else 0) if hint_level is None else hint_level
    there = f" {learner}" if learner else ""
    if level >= 1:
        write("")
        text = ' '.join(c.hint.split())
        if expl.get("todo_name"):  # the exercise is still a TODO: the hint is about writing it
            from spec.learn.answers import exercise_hint
            text = exercise_hint(catalog, cid, expl["todo_name"], paths)
        for ln in _wrap(text, "  Hint: ", subsequent="        "):
            write(ln)
    if level >= 2:
        from spec.learn.answers import tutorial_code
        write("")
        write("  The tutorial's code for this (spec/tutorials):")
        for ln in tutorial_code(catalog, cid, paths):
            write("    " + ln)
    elif level == 1:
        write("  Still stuck? --hint again (or --show) shows the tutorial's code for this exercise")
    else:
        write(f"  Stuck? python -m spec learn{there} --hint")


def show_unchecked(catalog, statuses, path_ids, upto: Optional[str], write=print) -> None:
    for cid in path_ids:
        if cid == upto:
            break
        r = statuses.get(cid)
        if r is not None and r.status == "unchecked":
            write(f"{TODO_MARK} unchecked here, skipped over: {cid} — {'; '.join(r.unchecked_reasons())}")


def show_summary(catalog, path_ids, statuses, write=print, mine=None) -> None:
    """The end of the path. `mine`: the claims whose tests exercise the learner's code (the rest
    are facts about torch, checked along the way and not credited)."""
    mine = set(path_ids) if mine is None else set(mine)
    write(f"All {len(path_ids)} claims of the path walked. What you learned:")
    by_tutorial: "OrderedDict[str, List[str]]" = OrderedDict()
    for cid in path_ids:
        by_tutorial.setdefault(catalog.claims[cid].tutorial, []).append(cid)
    for tid, ids in by_tutorial.items():
        t = catalog.tutorial(tid)
        done = [i for i in ids if statuses.get(i) and statuses[i].status in DONE]
        yours = [i for i in ids if i in mine]
        sections = list(OrderedDict.fromkeys(catalog.claims[i].section for i in done))
        facts = len([i for i in done if i not in mine])
        write(f"  {t.title}: {len([i for i in done if i in mine])}/{len(yours)} claims on your code, "
              f"{facts} facts checked along the way, in {len(sections)} sections:")
        for ln in _wrap(", ".join(sections), "      "):
            write(ln)
    errata = [i for i in path_ids if catalog.claims[i].erratum
              and statuses.get(i) and statuses[i].status in DONE]
    changed = [i for i in path_ids if statuses.get(i) and statuses[i].status == "changed"]
    if errata or changed:
        write("")
        write("Where the tutorial itself was wrong or outdated (a lesson of its own):")
        for i in errata:
            for ln in _wrap(f"{i}: {catalog.claims[i].erratum}", "  ", subsequent="      "):
                write(ln)
        for i in changed:
            c = catalog.claims[i]
            text = f"{i}: holds only on torch {c.holds}; on this torch: {c.otherwise}"
            for ln in _wrap(text, "  ", subsequent="      "):
                write(ln)
    untested = [i for i in path_ids if i not in statuses]
    if untested:
        write("")
        write(f"No test ran for {len(untested)} claims of the path (not counted): {', '.join(untested)}")
    unchecked = [i for i in path_ids if statuses.get(i) and statuses[i].status == "unchecked"]
    if unchecked:
        write("")
        write(f"Unchecked on this machine (not counted as learned): {len(unchecked)}")
        for i in unchecked:
            write(f"  {TODO_MARK} {i} — {'; '.join(statuses[i].unchecked_reasons())}")


def show_list(catalog, path_ids, statuses, write=print) -> None:
    current_tutorial = current_section = None
    for cid in path_ids:
        c = catalog.claims[cid]
        if c.tutorial != current_tutorial:
            current_tutorial, current_section = c.tutorial, None
            write(f"{catalog.tutorial(c.tutorial).title} ({c.tutorial})")
        if c.section != current_section:
            current_section = c.section
            write(f"  {c.section}")
        r = statuses.get(cid)
        status = r.status if r else None
        mark = {"passed": PASS_MARK, "changed": PASS_MARK, "failed": FAIL_MARK}.get(status, TODO_MARK)
        note = ""
        if status == "unchecked":
            note = f"   (unchecked here: {'; '.join(r.unchecked_reasons())})"
        elif c.erratum and status in DONE:
            note = "   (erratum)"
        elif status == "changed":
            note = "   (changed on this torch)"
        elif status == "failed":
            note = "   ← you are here"
        write(f"    {mark} {cid}{note}")


