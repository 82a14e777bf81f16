"""Output normalisation and comparison of a cell's output with what the tutorial prints.

Each rule is named, and applies only where its scope says (README, "The tutorials as printed"):
- trailing-whitespace (every cell): line ends and leading/trailing blank lines are not output;
- blank-runs (notebook exports): a run of two or more blank lines is no line (the export puts five
  between a cell's stream output and its value; a repr's single blank lines stay);
- warning-location (every cell): a printed warning `path:line: Category: message` + its source line
  reads `Category: message`, and "(Triggered internally at <path>.)" is dropped on both sides: both
  name files of the machine that ran the code;
- address (cells that name it): the 0x... address in a default object repr `<module.Class at 0x...>`;
- cuda-device (run on CUDA, cells whose printed output says nothing of CUDA): `, device='cuda:0'` and
  `torch.cuda.` type names of the actual output read as on the CPU the tutorial ran on;
- ordereddict-repr (every cell): Python 3.12's `OrderedDict({'a': 1})` reads as the
  `OrderedDict([('a', 1)])` that Python up to 3.11 (and the pages) print;
- tail (cells that name it): the tutorial shows only the last lines of a long output;
- unseeded (cells that name it): values drawn from an unseeded generator cannot be reproduced; every
  number reads <num>, line breaks inside brackets are spaces and the padding that aligns numbers of
  different widths is dropped, so shape, dtype and format are compared.
"""
from __future__ import annotations

import difflib
import re
from typing import Iterable, List, Optional, Tuple

CELL_RULES = ("address", "tail", "unseeded")  # the rules a cells file may name for a cell

_WARNING_AT = re.compile(r"^\S+:\d+: (?P<cat>[A-Z]\w*(?:Warning|Error)): (?P<msg>.*)$")
_TRIGGERED = re.compile(r"\s*\(Triggered internally at\s+\S+?\.\)")
_ADDRESS = re.compile(r"(<[A-Za-z_][\w.]*(?: [^<>\n]*?)? at )0x[0-9a-fA-F]+>")
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.])")


def trailing_whitespace(text: str) -> List[str]:
    lines = [ln.rstrip() for ln in text.splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def blank_runs(lines: List[str]) -> List[str]:
    """Drop runs of two or more blank lines (single blank lines inside a repr stay)."""
    out, i = [], 0
    while i < len(lines):
        j = i
        while j < len(lines) and not lines[j]:
            j += 1
        if j > i:
            out += [""] if j - i == 1 else []
            i = j
        else:
            out.append(lines[i])
            i += 1
    return out


def warning_location(lines: List[str]) -> List[str]:
    out, skip = [], False
    for ln in lines:
        if skip and ln.startswith(" "):
            skip = False
            continue
        skip = False
        m = _WARNING_AT.match(ln)
        if m:
            out.append(f"{m.group('cat')}: {m.group('msg')}")
            skip = True
        else:
            out.append(ln)
    return [_TRIGGERED.sub("", ln).rstrip() for ln in out]


def address(lines: List[str]) -> List[str]:
    return [_ADDRESS.sub(r"\g<1>0x…>", ln) for ln in lines]


def _split_top(text: str, sep: str) -> List[str]:
    """Split at `sep` outside brackets and quotes."""
    parts, depth, quote, start, i = [], 0, "", 0, 0
    while i < len(text):
        ch = text[i]
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            start = i = i + len(sep)
            continue
        i += 1
    return parts + [text[start:]]


def ordereddict_repr(lines: List[str]) -> List[str]:
    def old(m):
        items = [_split_top(item, ": ") for item in _split_top(m.group(1), ", ")] if m.group(1) else []
        if any(len(kv) != 2 for kv in items):
            return m.group(0)
        return "OrderedDict([" + ", ".join(f"({k}, {v})" for k, v in items) + "])"
    return [re.sub(r"OrderedDict\(\{(.*?)\}\)(?=[^)]*$|$)", old, ln) for ln in lines]


def cuda_device(lines: List[str]) -> List[str]:
    return [ln.replace(", device='cuda:0'", "").replace("torch.cuda.", "torch.") for ln in lines]


def unseeded(lines: List[str]) -> List[str]:
    """Numbers -> <num>; whitespace runs -> one space; newlines inside brackets -> a space."""
    text, depth, joined = "\n".join(lines), 0, []
    for ch in text:
        depth += ch in "([{"
        depth -= ch in ")]}"
        joined.append(" " if ch == "\n" and depth > 0 else ch)
    text = _NUMBER.sub("<num>", "".join(joined))
    lines = [re.sub(r"\s+", " ", ln).strip() for ln in text.split("\n")]
    # the padding that aligns numbers of different widths (a sign, more digits)
    return [re.sub(r"\s*,\s*", ", ", re.sub(r"(?<=[\[(])\s+|\s+(?=[\])])", "", ln)) for ln in lines]


def normalise(text: str, *, fmt: str, rules: Iterable[str] = (), on_cuda: bool = False,
              printed_side: bool = False, printed_mentions_cuda: bool = False) -> List[str]:
    """The lines compared, after the rules in scope for this cell."""
    rules = set(rules)
    lines = trailing_whitespace(text)
    if fmt == "notebook":
        lines = blank_runs(lines)
    lines = warning_location(lines)
    lines = ordereddict_repr(lines)
    if "address" in rules:
        lines = address(lines)
    if on_cuda and not printed_side and not printed_mentions_cuda:
        lines = cuda_device(lines)
    if "unseeded" in rules:
        lines = unseeded(lines)
    return lines


def differences(printed: List[str], actual: List[str], tail: bool = False) -> List[Tuple[str, str]]:
    """('-', printed line) / ('+', actual line) for every line that differs; [] when equal.
    With `tail`, only the last len(printed) actual lines are compared."""
    if tail and printed:
        actual = actual[-len(printed):]
    out: List[Tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=printed, b=actual, autojunk=False).get_opcodes():
        if op != "equal":
            out += [("-", ln) for ln in printed[i1:i2]] + [("+", ln) for ln in actual[j1:j2]]
    return out


def numbers_within(printed_line: str, actual_line: str, tolerance: float) -> bool:
    """Do two lines read the same except for numbers that differ by at most `tolerance`?"""
    p_nums, a_nums = _NUMBER.findall(printed_line), _NUMBER.findall(actual_line)
    if _NUMBER.sub("#", printed_line) != _NUMBER.sub("#", actual_line) or len(p_nums) != len(a_nums):
        return False
    return all(abs(float(p) - float(a)) <= tolerance for p, a in zip(p_nums, a_nums))


def paired(diff: List[Tuple[str, str]]) -> Optional[List[Tuple[str, str]]]:
    """The (printed, actual) line pairs of a diff made only of same-length replacements, else None."""
    minus = [ln for s, ln in diff if s == "-"]
    plus = [ln for s, ln in diff if s == "+"]
    return list(zip(minus, plus)) if len(minus) == len(plus) else None
