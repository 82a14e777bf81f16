"""The catalog contract: loading, validation errors, and the lint both ways (tests <-> claims, quotes)."""
import os
from pathlib import Path

import pytest

from spec import lint
from spec.catalog import CatalogError, load_catalog
from spec.plugin import SEEDS_ENV

from .conftest import HEADER, claim_toml

ROOT = Path(__file__).resolve().parents[2]
FAILS = 'fails = { raises = "AssertionError", match = "assert 2" }\n'
RANGED = claim_toml("t.one", holds="<2", otherwise="x")


def load(tmp_path, text, name="toy"):
    (tmp_path / f"{name}.toml").write_text(text)
    return load_catalog(tmp_path)


def test_a_valid_catalog_loads_in_order(tmp_path):
    cat = load(tmp_path, HEADER + claim_toml("t.one") + claim_toml("t.two", holds="<2", otherwise="x") + FAILS)
    assert list(cat.claims) == ["t.one", "t.two"]
    assert cat.claims["t.two"].holds_on("1.13.1+cu117") and not cat.claims["t.two"].holds_on("2.0.1")
    assert cat.claims["t.two"].as_dict()["fails"] == {"raises": "AssertionError", "match": "assert 2"}


class _Subclass(AssertionError):
    pass


def test_a_fails_record_matches_the_type_along_its_mro_and_searches_the_message(tmp_path):
    fails = load(tmp_path, HEADER + RANGED + FAILS).claims["t.one"].fails
    assert fails.matches(AssertionError("assert 2 == 3")) and fails.matches(_Subclass("so assert 2"))
    assert not fails.matches(AssertionError("assert 3 == 2")), "the message is searched for the regex"
    assert not fails.matches(TypeError("assert 2")), "another type is another failure"


@pytest.mark.parametrize("text, message", [
    (HEADER + claim_toml("t.one").replace('quote = "tensors are fun"\n', ""), "missing required field 'quote'"),
    (HEADER + claim_toml("t.one").replace('id = "t.one"\n', ""), "claim #1: missing required field 'id'"),
    (HEADER + claim_toml("t.one") + claim_toml("t.one"), "duplicate claim id 't.one'"),
    (HEADER + claim_toml("t.one", holds="lower than 2", otherwise="x"), "is not a version specifier"),
    (HEADER + claim_toml("t.one", holds="<2"), "'holds' needs 'otherwise'"),
    (HEADER + claim_toml("t.one", otherwise="x"), "'otherwise' without 'holds'"),
    (HEADER + claim_toml("t.one", devices=["tpu"]), "devices must be a non-empty list"),
    (HEADER + claim_toml("t.one", qoute="typo"), "unknown field(s) qoute"),
    (HEADER + claim_toml("Not_An_Id"), "id must be 'topic.kebab-name'"),
    (HEADER + claim_toml("t.one", erratum="x", holds="<2", otherwise="y"), "either an erratum or version-ranged"),
    (HEADER + RANGED, "claim #1 't.one': 'holds' needs 'fails' (how its tests fail outside the range"),
    (HEADER + claim_toml("t.one") + FAILS, "claim #1 't.one': 'fails' without 'holds'"),
    (HEADER + RANGED + 'fails = "AssertionError"\n', "fails must be a table"),
    (HEADER + RANGED + FAILS.replace("match", "mach"), "fails: unknown key(s) mach (allowed: raises, match)"),
    (HEADER + RANGED + 'fails = { raises = "AssertionError" }\n', "fails needs a non-empty string 'match'"),
    (HEADER + RANGED + FAILS.replace("AssertionError", "AsertionError"),
     "fails: raises = 'AsertionError' is not a builtin or torch exception name"),
    (HEADER + RANGED + FAILS.replace("assert 2", "assert (2"), "fails: match = 'assert (2' is not a regular expression"),
    (HEADER + 'quote = "unclosed', "not valid TOML"),
    (claim_toml("t.one"), "missing [tutorial] table"),
    (HEADER, "no [[claim]] entries"),
])
def test_malformed_entries_are_refused_with_a_clear_error(tmp_path, text, message):
    with pytest.raises(CatalogError) as err:
        load(tmp_path, text)
    assert message in str(err.value) and "toy.toml" in str(err.value)


def test_an_extension_file_appends_claims_to_its_tutorial(tmp_path):
    (tmp_path / "toy.bench.toml").write_text('[tutorial]\nid = "toy"\n' + claim_toml("bench.fast"))
    cat = load(tmp_path, HEADER + claim_toml("t.one"))
    assert list(cat.claims) == ["t.one", "bench.fast"] and cat.claims["bench.fast"].tutorial == "toy"


def test_an_extension_of_an_unknown_tutorial_is_refused(tmp_path):
    (tmp_path / "nope.bench.toml").write_text('[tutorial]\nid = "nope"\n' + claim_toml("bench.fast"))
    with pytest.raises(CatalogError, match="extends unknown tutorial 'nope'"):
        load(tmp_path, HEADER + claim_toml("t.one"))


def test_lint_finds_untested_and_unknown_claims(tmp_path):
    cat = load(tmp_path, HEADER + claim_toml("t.one") + claim_toml("t.two"))
    (tmp_path / "test_x.py").write_text('claim = pytest.mark.claim\n@claim("t.one")\ndef test_a(): pass\n'
                                        '@pytest.mark.claim("t.gone")\ndef test_b(): pass\n')
    found = lint.claim_ids_in_tests([tmp_path])
    assert lint.untested_claims(cat, found) == ["t.two"]
    assert lint.unknown_claims(cat, found) == [f"t.gone ({tmp_path / 'test_x.py'}:4)"]


def test_lint_finds_a_quote_missing_from_its_seed(tmp_path):
    cat = load(tmp_path, HEADER + claim_toml("t.one", quote="tensors  are\\nfun") + claim_toml("t.two", quote="nope"))
    (tmp_path / "toy.txt").write_text("Here tensors are fun.")
    assert lint.missing_quotes(cat, tmp_path) == ["t.two: quote not found in toy.txt: 'nope'"]


# --- the real catalog ----------------------------------------------------------------------------

def test_every_claim_has_a_test_and_every_test_names_a_claim():
    cat = load_catalog()
    found = lint.claim_ids_in_tests([ROOT / "tests" / "claims", ROOT / "tests" / "benchmarks"])
    assert lint.untested_claims(cat, found) == [], "claims with no test"
    assert lint.unknown_claims(cat, found) == [], "tests naming claims that are not in the catalog"


def test_every_quote_occurs_verbatim_in_its_seed(pytestconfig):
    seeds = pytestconfig.getoption("seeds") or os.environ.get(SEEDS_ENV)
    if not seeds:
        pytest.skip(f"unchecked: quotes not checked (give --seeds DIR or ${SEEDS_ENV})")
    assert lint.missing_quotes(load_catalog(), Path(seeds)) == []


def test_the_lint_command_reports_on_the_real_catalog(capsys, monkeypatch, tmp_path):
    monkeypatch.delenv(SEEDS_ENV, raising=False)
    assert lint.main([]) == 0
    assert "0 problem(s); quotes not checked (give --seeds DIR)" in capsys.readouterr().out
    assert lint.main(["--seeds", str(tmp_path)]) == 1  # no seed files there
    assert "seed file 000_5e7b58b47e6d2300.txt not found" in capsys.readouterr().out


def test_the_lint_command_says_once_that_the_seeds_directory_is_missing(capsys, tmp_path):
    assert lint.main(["--seeds", str(tmp_path / "nope")]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"python -m spec lint: --seeds {tmp_path / 'nope'}: no such directory\n")


def test_the_lint_command_takes_another_catalog(capsys, monkeypatch, tmp_path):
    monkeypatch.delenv(SEEDS_ENV, raising=False)
    load(tmp_path, HEADER + claim_toml("t.nobody-tests-this"))
    assert lint.main(["--catalog", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "no test names claim t.nobody-tests-this" in out and "test names unknown claim data.shapes" in out
