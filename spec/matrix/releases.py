"""The registry's list of torch releases for one interpreter (`pip index versions torch`, which reads
pip's indexes), and version ranges over it ("2.0..2.6")."""
from __future__ import annotations

import subprocess
from typing import List, Optional, Sequence, Tuple

from packaging.version import InvalidVersion, Version

from spec.matrix.pipconf import pip_command
from spec.matrix.reports import MatrixError


def parse_index_versions(text: str) -> List[str]:
    """'Available versions: 2.15.0, 2.13.0+cpu, 2.13.0, ...' -> ['1.13.0', ..., '2.15.0'] (final releases,
    local builds folded into their release, oldest first)."""
    for line in text.splitlines():
        if line.strip().startswith("Available versions:"):
            found = set()
            for item in line.split(":", 1)[1].split(","):
                try:
                    v = Version(item.strip())
                except InvalidVersion:
                    continue
                if not (v.is_prerelease or v.is_devrelease):
                    found.add(Version(v.base_version))
            return [str(v) for v in sorted(found)]
    return []


def torch_releases(python: str) -> List[str]:
    """The torch releases installable for `python` (its pip's indexes; wheels for its version only)."""
    cmd = [*pip_command(python), "index", "versions", "torch", "--disable-pip-version-check"]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MatrixError(f"cannot list torch releases ({' '.join(cmd)}: {exc})") from None
    releases = parse_index_versions(done.stdout)
    if not releases:
        tail = [ln for ln in (done.stderr or done.stdout).splitlines() if ln.strip()]
        raise MatrixError(f"cannot list torch releases ({' '.join(cmd)}: "
                          f"{(tail or ['no output'])[-1][:200]})")
    return releases


def parse_range(text: Optional[str]) -> Tuple[Optional[str], Optional[str]]:
    """'2.0..2.6' -> ('2.0', '2.6'); '..2.6', '2.0..' and None leave an end open."""
    if not text:
        return None, None
    if ".." not in text:
        raise MatrixError(f"{text!r}: give a range FROM..TO (e.g. 1.13.0..2.15.0, 2.0.. or ..2.6)")
    lo, hi = (part.strip() or None for part in text.split("..", 1))
    for end in (lo, hi):
        if end is not None:
            try:
                Version(end)
            except InvalidVersion:
                raise MatrixError(f"{end!r} in {text!r} is not a version number") from None
    return lo, hi


def within(releases: Sequence[str], lo: Optional[str], hi: Optional[str]) -> List[str]:
    return [r for r in releases if (lo is None or Version(r) >= Version(lo))
            and (hi is None or Version(r) <= Version(hi))]
