"""--boundaries and --bisect (spec/matrix/boundaries.py, bisect.py, releases.py) on a fake release list
and fake per-version results: no torch is installed."""
import math

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from spec.catalog import Claim
from spec.matrix import boundaries as bd, cli, releases as rel
from spec.matrix.bisect import bisect, pick
from spec.matrix.reports import MatrixError

# the real torch releases for Python 3.11, as `pip index versions torch` lists them
PIP_INDEX = ("torch (2.15.0)\nAvailable versions: 2.15.0, 2.14.1, 2.14.0, 2.13.0+cpu, 2.13.0, 2.12.1, 2.12.0, "
             "2.11.0, 2.10.0, 2.9.1, 2.9.0, 2.8.0, 2.7.1, 2.7.0, 2.6.0, 2.5.1, 2.5.0, 2.4.1, 2.4.0, 2.3.1, 2.3.0, "
             "2.2.2, 2.2.1, 2.2.0, 2.1.2, 2.1.1, 2.1.0, 2.0.1, 2.0.0, 1.13.1, 1.13.0\n")
RELEASES = rel.parse_index_versions(PIP_INDEX)


def claim(cid, holds):
    return Claim(id=cid, tutorial="t", section="s", quote="q", says="s", hint="h",
                 holds=SpecifierSet(holds), otherwise="otherwise")


def truth(changes_at):
    """Fake per-version results: each claim holds inside the range its boundary really has."""
    def status(cid, version):
        op, at = changes_at[cid]
        inside = Version(version) < Version(at) if op == "<" else Version(version) >= Version(at)
        return "holds" if inside else "changed"
    return status


class FakeProbe:
    def __init__(self, status, cached=()):
        self.status, self.calls, self.cached = status, [], set(cached)

    def __call__(self, version, ids):
        self.calls.append((version, tuple(ids)))
        return {cid: self.status(cid, version) for cid in ids}


def test_the_release_list_is_final_releases_oldest_first_local_builds_folded():
    assert RELEASES[:3] == ["1.13.0", "1.13.1", "2.0.0"] and RELEASES[-1] == "2.15.0"
    assert len(RELEASES) == 30 and RELEASES.count("2.13.0") == 1
    assert rel.parse_index_versions("Available versions: 2.1.0rc1, 2.0.0") == ["2.0.0"]


def test_ranges_over_releases():
    assert rel.parse_range("2.0..2.6") == ("2.0", "2.6") and rel.parse_range("..2.6") == (None, "2.6")
    assert rel.within(RELEASES, "2.0", "2.2.0") == ["2.0.0", "2.0.1", "2.1.0", "2.1.1", "2.1.2", "2.2.0"]
    with pytest.raises(MatrixError, match=r"'2\.0' : give a range FROM\.\.TO|give a range FROM\.\.TO"):
        rel.parse_range("2.0")
    with pytest.raises(MatrixError, match=r"'x' in 'x\.\.2\.0' is not a version number"):
        rel.parse_range("x..2.0")


def test_each_boundary_gets_the_last_release_before_it_and_the_first_at_it():
    claims = [claim("a.zero", "<2.0"), claim("a.none", ">=2.0"), claim("b.load", "<2.6"),
              claim("c.old", "<1.10"), claim("d.upto", "<=2.1.2"), claim("e.range", ">=2.3,<2.8")]
    found = {(b.label, b.below, b.above): [c.id for c in b.claims] for b in bd.find_boundaries(claims, RELEASES)}
    assert found == {
        ("at 1.10", None, "1.13.0"): ["c.old"],
        ("at 2.0", "1.13.1", "2.0.0"): ["a.zero", "a.none"],      # both sides of one boundary: one pair
        ("after 2.1.2", "2.1.2", "2.2.0"): ["d.upto"],
        ("at 2.3", "2.2.2", "2.3.0"): ["e.range"],
        ("at 2.6", "2.5.1", "2.6.0"): ["b.load"],
        ("at 2.8", "2.7.1", "2.8.0"): ["e.range"],
    }
    (old,) = [b for b in bd.find_boundaries(claims, RELEASES) if b.version == "1.10"]
    assert old.missing() == "no release before 1.10 installs on this Python"


def test_confirmed_boundaries_run_each_release_once_for_all_its_claims():
    claims = [claim("a.zero", "<2.0"), claim("a.none", ">=2.0"), claim("b.load", "<2.6")]
    probe = FakeProbe(truth({"a.zero": ("<", "2.0"), "a.none": (">=", "2.0"), "b.load": ("<", "2.6")}))
    checks = bd.check(claims, RELEASES, probe)
    assert [(c.claim, c.verdict) for c in checks] == [("a.zero", "confirmed"), ("a.none", "confirmed"),
                                                      ("b.load", "confirmed")]
    assert checks[0].seen == {"1.13.1": "holds", "2.0.0": "changed"}
    assert probe.calls == [("1.13.1", ("a.zero", "a.none")), ("2.0.0", ("a.zero", "a.none")),
                           ("2.5.1", ("b.load",)), ("2.6.0", ("b.load",))]


def test_a_wrong_boundary_is_bisected_to_where_it_really_is():
    claims = [claim("b.load", "<2.6"), claim("n.named", "<2.13")]
    really = truth({"b.load": ("<", "2.4.0"), "n.named": ("<", "2.14.0")})   # early; late
    checks = bd.check(claims, RELEASES, FakeProbe(really))
    load, named = checks
    assert not load.confirmed and load.bisection.first == "2.4.0" and load.bisection.last_before == "2.3.1"
    assert load.verdict == ("NOT confirmed (2.5.1: changed, expected holds): the status changes at 2.4.0 "
                            "(holds up to 2.3.1)")
    assert named.bisection.first == "2.14.0"
    assert named.verdict.startswith("NOT confirmed (2.13.0: holds, expected changed): the status changes at 2.14.0")
    assert load.as_dict()["release_before"] == "2.5.1" and load.as_dict()["confirmed"] is False


def test_a_boundary_below_every_release_is_checked_on_one_side():
    (only,) = bd.check([claim("c.old", "<1.10")], RELEASES, FakeProbe(truth({"c.old": ("<", "1.10")})))
    assert only.seen == {"1.13.0": "changed"} and not only.confirmed
    assert only.verdict == "one side only (no release before 1.10 installs on this Python); the other side as expected"


def test_bisection_finds_the_first_changed_release_in_log_n_probes():
    probe = FakeProbe(truth({"z": ("<", "2.0.0")}))
    result = bisect("z", RELEASES, lambda v: probe(v, ["z"])["z"])
    assert (result.first, result.last_before) == ("2.0.0", "1.13.1")
    assert (result.status_before, result.status_after) == ("holds", "changed")
    assert len(probe.calls) <= math.ceil(math.log2(len(RELEASES))) + 2
    assert result.note == "holds up to 1.13.1, changed from 2.0.0"


def test_bisection_prefers_cached_releases_without_more_probes():
    cached = {"1.13.0", "1.13.1", "2.0.0", "2.0.1", "2.5.1", "2.6.0", "2.13.0", "2.15.0"}
    probe = FakeProbe(truth({"z": ("<", "2.0.0")}))
    result = bisect("z", RELEASES, lambda v: probe(v, ["z"])["z"], cached=cached.__contains__)
    assert result.first == "2.0.0"
    probed = [v for v, _ in probe.calls]
    plain = FakeProbe(truth({"z": ("<", "2.0.0")}))
    bisect("z", RELEASES, lambda v: plain(v, ["z"])["z"])
    installs = [v for v in probed if v not in cached]
    assert len(installs) < len([v for v, _ in plain.calls if v not in cached])
    assert len(probed) <= math.ceil(math.log2(len(RELEASES))) + 2
    assert pick(RELEASES, 0, 29, lambda v: False) == 14
    assert RELEASES[pick(RELEASES, 0, 29, {"2.6.0"}.__contains__)] == "2.6.0"        # in the middle half
    assert pick(RELEASES, 0, 29, {"1.13.1"}.__contains__) == 14                      # too far out: the middle


def test_bisection_without_a_change_says_so():
    result = bisect("z", RELEASES, lambda v: "holds")
    assert result.first is None
    assert result.note.startswith("the same status (holds) at 1.13.0 and 2.15.0: no change found")


def test_bisect_of_an_unknown_claim_is_one_usage_error(capsys):
    assert cli.main(["--bisect", "no.such-claim"]) == 2
    assert capsys.readouterr().err.strip() == "torch-spec matrix: error: --bisect no.such-claim: no such claim in the catalog"


def test_versions_and_a_mode_together_are_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["2.0.1", "--boundaries"])
    assert info.value.code == 2
    assert "torch versions go alone" in capsys.readouterr().err
