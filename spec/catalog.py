"""The catalog: one TOML file per tutorial in spec/claims/, claims in tutorial order.

The catalog is prose only (no code). Each claim is checked by one or more tests that carry
``@pytest.mark.claim("<id>")``. See DESIGN.md / README.md for the contract.
"""
from __future__ import annotations

import builtins
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CLAIMS_DIR = Path(__file__).parent / "claims"
DEVICE_TYPES = ("cpu", "cuda")
ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)+$")

TUTORIAL_KEYS = {"id": True, "title": True, "seeds": True}
CLAIM_KEYS = {
    "id": True, "section": True, "quote": True, "says": True, "hint": True,
    "holds": False, "otherwise": False, "fails": False, "erratum": False, "devices": False,
}
FAILS_KEYS = ("raises", "match")
# exception names a `fails` record may give, besides Python's builtin exceptions: torch's own exception
# classes (a static list, so the catalog reads the same on every torch), pickle's UnpicklingError
# (torch.load's weights-only refusal) and pytest's Failed (pytest.raises/warns: "DID NOT RAISE/WARN")
TORCH_EXCEPTIONS = frozenset({
    "AcceleratorError", "CudaError", "DeferredCudaCallError", "DistBackendError", "DistError",
    "DistNetworkError", "DistStoreError", "Error", "FatalError", "JITException", "LinAlgError",
    "OnnxExporterError", "OutOfMemoryError", "TracingCheckError",
})
OTHER_EXCEPTIONS = frozenset({"UnpicklingError", "PicklingError", "Failed"})


class CatalogError(ValueError):
    """A malformed catalog file; the message names the file and the claim."""


def _builtin_exceptions() -> frozenset:
    return frozenset(n for n, v in vars(builtins).items() if isinstance(v, type) and issubclass(v, BaseException))


KNOWN_EXCEPTIONS = _builtin_exceptions() | TORCH_EXCEPTIONS | OTHER_EXCEPTIONS


@dataclass(frozen=True)
class Fails:
    """How a `holds` claim's tests fail outside the range: an exception type (by name: the exception's
    class or any base class, so a subclass matches) and a regex searched in str(exception)."""
    raises: str
    match: str

    def matches(self, exc: BaseException) -> bool:
        names = {cls.__name__ for cls in type(exc).__mro__}
        return self.raises in names and re.search(self.match, str(exc)) is not None

    def __str__(self) -> str:
        return f"{self.raises} matching '{self.match}'"


@dataclass(frozen=True)
class Claim:
    id: str
    tutorial: str
    section: str
    quote: str
    says: str
    hint: str
    holds: Optional[SpecifierSet] = None
    otherwise: Optional[str] = None
    fails: Optional[Fails] = None
    erratum: Optional[str] = None
    devices: Optional[Tuple[str, ...]] = None
    order: int = 0

    def holds_on(self, torch_version: str) -> bool:
        """Does the tutorial's statement hold on this torch version (local tags ignored)?"""
        if self.holds is None:
            return True
        return self.holds.contains(Version(torch_version).base_version, prereleases=True)

    def as_dict(self) -> dict:
        return {
            "id": self.id, "tutorial": self.tutorial, "section": self.section,
            "quote": self.quote, "says": self.says, "hint": self.hint,
            "holds": str(self.holds) if self.holds is not None else None,
            "otherwise": self.otherwise,
            "fails": {"raises": self.fails.raises, "match": self.fails.match} if self.fails else None,
            "erratum": self.erratum,
            "devices": list(self.devices) if self.devices else None,
        }


@dataclass(frozen=True)
class Tutorial:
    id: str
    title: str
    seeds: Tuple[str, ...]
    path: Path
    claims: Tuple[Claim, ...] = field(default=())


@dataclass(frozen=True)
class Catalog:
    tutorials: Tuple[Tutorial, ...]
    claims: Dict[str, Claim]  # in catalog order: tutorial by tutorial, claims in file order

    def tutorial(self, tutorial_id: str) -> Tutorial:
        return next(t for t in self.tutorials if t.id == tutorial_id)


def _check_keys(where: str, table: dict, spec: Dict[str, bool]) -> None:
    unknown = sorted(set(table) - set(spec))
    if unknown:
        raise CatalogError(f"{where}: unknown field(s) {', '.join(unknown)} "
                           f"(allowed: {', '.join(spec)})")
    for key, required in spec.items():
        if required and key not in table:
            raise CatalogError(f"{where}: missing required field '{key}'")
        if key in table and key not in ("seeds", "devices", "fails") and not isinstance(table[key], str):
            raise CatalogError(f"{where}: field '{key}' must be a string")
        if key in table and isinstance(table[key], str) and not table[key].strip():
            raise CatalogError(f"{where}: field '{key}' is empty")


def _parse_claim(path: Path, tutorial_id: str, raw: dict, order: int) -> Claim:
    where = f"{path.name}: claim #{order + 1}" + (f" '{raw['id']}'" if "id" in raw else "")
    _check_keys(where, raw, CLAIM_KEYS)
    if not ID_RE.match(raw["id"]):
        raise CatalogError(f"{where}: id must be 'topic.kebab-name' (lowercase, dot-separated)")
    if "erratum" in raw and "holds" in raw:
        raise CatalogError(f"{where}: a claim is either an erratum or version-ranged, not both")
    holds = None
    if "holds" in raw:
        try:
            holds = SpecifierSet(raw["holds"])
        except InvalidSpecifier:
            raise CatalogError(f"{where}: holds = {raw['holds']!r} is not a version specifier "
                               f"(write e.g. '<2.13' or '>=1.10,<2.6')") from None
        if "otherwise" not in raw:
            raise CatalogError(f"{where}: 'holds' needs 'otherwise' (what is true outside the range)")
        if "fails" not in raw:
            raise CatalogError(f"{where}: 'holds' needs 'fails' (how its tests fail outside the range, "
                               f"e.g. fails = {{ raises = \"AssertionError\", match = \"regex\" }})")
    elif "otherwise" in raw:
        raise CatalogError(f"{where}: 'otherwise' without 'holds'")
    elif "fails" in raw:
        raise CatalogError(f"{where}: 'fails' without 'holds'")
    devices = raw.get("devices")
    if devices is not None:
        if not isinstance(devices, list) or not devices or any(d not in DEVICE_TYPES for d in devices):
            raise CatalogError(f"{where}: devices must be a non-empty list drawn from {list(DEVICE_TYPES)}")
        devices = tuple(devices)
    return Claim(id=raw["id"], tutorial=tutorial_id, section=raw["section"], quote=raw["quote"],
                 says=raw["says"], hint=raw["hint"], holds=holds, otherwise=raw.get("otherwise"),
                 fails=_parse_fails(where, raw["fails"]) if "fails" in raw else None,
                 erratum=raw.get("erratum"), devices=devices, order=order)


def _parse_fails(where: str, raw) -> Fails:
    form = 'fails = { raises = "ExceptionName", match = "regex" }'
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: fails must be a table: {form}")
    unknown = sorted(set(raw) - set(FAILS_KEYS))
    if unknown:
        raise CatalogError(f"{where}: fails: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(FAILS_KEYS)})")
    for key in FAILS_KEYS:
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise CatalogError(f"{where}: fails needs a non-empty string '{key}': {form}")
    if raw["raises"] not in KNOWN_EXCEPTIONS:
        raise CatalogError(f"{where}: fails: raises = {raw['raises']!r} is not a builtin or torch exception "
                           f"name (e.g. AssertionError, TypeError, UnpicklingError, Failed)")
    try:
        re.compile(raw["match"])
    except re.error as exc:
        raise CatalogError(f"{where}: fails: match = {raw['match']!r} is not a regular expression ({exc})") from None
    return Fails(raises=raw["raises"], match=raw["match"])


def load_tutorial(path: Path) -> Tutorial:
    """One catalog file. A file whose [tutorial] has only an id (e.g. regression.bench.toml)
    extends that tutorial: its claims come after the main file's (title and seeds are left empty)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{path.name}: not valid TOML: {exc}") from None
    head = data.get("tutorial")
    if not isinstance(head, dict):
        raise CatalogError(f"{path.name}: missing [tutorial] table")
    if set(head) == {"id"} and isinstance(head["id"], str):
        head = {"id": head["id"], "title": "", "seeds": []}  # an extension file
    else:
        _check_keys(f"{path.name}: [tutorial]", head, TUTORIAL_KEYS)
    if not isinstance(head["seeds"], list) or not all(isinstance(s, str) for s in head["seeds"]):
        raise CatalogError(f"{path.name}: [tutorial] seeds must be a list of file names")
    extra = sorted(set(data) - {"tutorial", "claim"})
    if extra:
        raise CatalogError(f"{path.name}: unknown table(s) {', '.join(extra)}")
    claims = tuple(_parse_claim(path, head["id"], raw, i) for i, raw in enumerate(data.get("claim", [])))
    if not claims:
        raise CatalogError(f"{path.name}: no [[claim]] entries")
    return Tutorial(id=head["id"], title=head["title"], seeds=tuple(head["seeds"]), path=path, claims=claims)


def load_catalog(directory: Path = CLAIMS_DIR) -> Catalog:
    directory = Path(directory)
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise CatalogError(f"{directory}: no catalog files (*.toml)")
    loaded = [load_tutorial(p) for p in files]
    tutorials: List[Tutorial] = []
    for t in [t for t in loaded if t.seeds]:
        if any(t.id == other.id for other in tutorials):
            raise CatalogError(f"{t.path.name}: tutorial id '{t.id}' is used by another file")
        tutorials.append(t)
    for ext in [t for t in loaded if not t.seeds]:
        i = next((i for i, t in enumerate(tutorials) if t.id == ext.id), None)
        if i is None:
            raise CatalogError(f"{ext.path.name}: extends unknown tutorial '{ext.id}'")
        base = tutorials[i]
        tutorials[i] = replace(base, claims=base.claims + tuple(
            replace(c, order=len(base.claims) + c.order) for c in ext.claims))
    # tutorial order = the order of the seeds they quote
    tutorials.sort(key=lambda t: (min(t.seeds), t.id))
    claims: Dict[str, Claim] = {}
    for t in tutorials:
        for c in t.claims:
            if c.id in claims:
                other = claims[c.id]
                raise CatalogError(f"{t.path.name}: duplicate claim id '{c.id}' "
                                   f"(first in tutorial '{other.tutorial}')")
            claims[c.id] = c
    return Catalog(tutorials=tuple(tutorials), claims=claims)


def normalize(text: str) -> str:
    """Whitespace-insensitive form used to find quotes in seeds (seeds wrap lines arbitrarily)."""
    return " ".join(text.split())


def missing_quotes(catalog: Catalog, seeds_dir: Path) -> List[str]:
    """Claims whose quote is not found verbatim (up to whitespace) in any of its tutorial's seeds."""
    problems = []
    for t in catalog.tutorials:
        texts = []
        for name in t.seeds:
            seed = Path(seeds_dir) / name
            if not seed.is_file():
                problems.append(f"{t.path.name}: seed file {name} not found in {seeds_dir}")
                continue
            texts.append(normalize(seed.read_text(encoding="utf-8")))
        for c in t.claims:
            if texts and not any(normalize(c.quote) in text for text in texts):
                problems.append(f"{c.id}: quote not found in {', '.join(t.seeds)}: {c.quote!r}")
    return problems
