"""The version matrix (spec/matrix.py) on synthetic reports: merge, "what changed", Markdown/HTML
output, failure modes and the venv cache. No torch is installed here: pip and pytest are faked."""
import json
import sys
from pathlib import Path

import pytest

from spec import matrix as mx
from spec.report import SCHEMA, SCHEMA_VERSION, STATUSES

from .conftest import claim_toml

CPU_ONLY = {"cuda": "CUDA not available (this torch is a CPU-only build)"}


def claim(cid, section="Autograd", tutorial="regression", status=None, **extra):
    entry = {"id": cid, "tutorial": tutorial, "section": section, "quote": "q", "says": f"{cid} says.",
             "hint": "h", "holds": None, "otherwise": None, "erratum": None, "devices": None,
             "status": status or {"cpu": "holds", "cuda": "unchecked"}, "details": {}, "tests": []}
    entry.update(extra)
    return entry


def report(torch, *claims, run=("cpu",), unchecked=CPU_ONLY, exitstatus=None, numpy="1.26.4"):
    summary = dict.fromkeys(STATUSES, 0)
    for c in claims:
        for s in c["status"].values():
            summary[s] += 1
    if exitstatus is None:
        exitstatus = 1 if summary["broken"] else 0
    return {"schema": SCHEMA, "schema_version": SCHEMA_VERSION, "created": "2026-01-01T00:00:00+00:00",
            "environment": {"torch": torch, "numpy": numpy, "python": "3.11.7", "platform": "Linux-x86_64",
                            "machine": "x86_64", "cuda_build": None,
                            "devices": {"cpu": {"available": True}, "cuda": {"available": False}}},
            "devices_run": list(run), "devices_unchecked": dict(unchecked),
            "tutorials": [{"id": "regression", "title": "Understanding PyTorch with an example", "seeds": []},
                          {"id": "intro", "title": "Intro", "seeds": []}],
            "summary": summary, "exitstatus": exitstatus, "claims": list(claims)}


LOAD = dict(holds="<2.6", otherwise="torch.load defaults to weights_only=True since 2.6.")


def drift_reports():
    """Three versions: a documented change at 2.6.0, an undocumented break at 2.13.0."""
    old = report("2.0.1", claim("autograd.grad-accumulates"), claim("serialization.load", "Saving", **LOAD),
                 claim("views.view", "Views", tutorial="intro"))
    mid = report("2.6.0", claim("autograd.grad-accumulates"),
                 claim("serialization.load", "Saving", status={"cpu": "changed", "cuda": "unchecked"}, **LOAD),
                 claim("views.view", "Views", tutorial="intro"), numpy="2.2.6")
    new = report("2.13.0+cpu", claim("autograd.grad-accumulates"),
                 claim("serialization.load", "Saving", status={"cpu": "changed", "cuda": "unchecked"}, **LOAD),
                 claim("views.view", "Views", tutorial="intro", status={"cpu": "broken", "cuda": "unchecked"},
                       details={"cpu": "AssertionError: view shares storage\n\ntraceback"}))
    return old, mid, new


def merged(*reports):
    return mx.merge([mx.column_from_report(r, source=f"r{i}.json") for i, r in enumerate(reports)])


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


# --- merge ------------------------------------------------------------------------------------------

def test_columns_are_sorted_by_torch_version_whatever_the_argument_order():
    old, mid, new = drift_reports()
    m = merged(new, old, mid)
    assert [c.label for c in m.columns] == ["2.0.1", "2.6.0", "2.13.0+cpu"]
    assert m.devices == ["cpu", "cuda"]


def test_rows_are_claims_in_catalog_order_grouped_by_tutorial():
    old, mid, new = drift_reports()
    m = merged(old, mid, new)
    assert [(r.tutorial, r.section, r.id) for r in m.rows] == [
        ("regression", "Autograd", "autograd.grad-accumulates"),
        ("regression", "Saving", "serialization.load"),
        ("intro", "Views", "views.view")]
    assert m.cell(m.rows[1], 1, "cpu") == ("changed", "")


def test_a_claim_missing_from_one_report_reads_no_result_there():
    old = report("2.0.1", claim("a.one"))
    new = report("2.6.0", claim("a.one"), claim("a.two"))
    m = merged(old, new)
    two = next(r for r in m.rows if r.id == "a.two")
    assert m.cell(two, 0, "cpu") == (mx.NO_RESULT, "")
    assert m.cell(two, 1, "cpu") == ("holds", "")


def test_the_same_torch_twice_gets_two_labels():
    a, b = report("2.6.0", claim("a.one")), report("2.6.0", claim("a.one"), run=("cpu", "cuda"), unchecked={})
    m = mx.merge([mx.column_from_report(a, "cpu-box.json"), mx.column_from_report(b, "gpu-box.json")])
    assert [c.label for c in m.columns] == ["2.6.0 (cpu-box)", "2.6.0 (gpu-box)"]


# --- what changed ------------------------------------------------------------------------------------

def test_what_changed_lists_a_documented_change_with_its_otherwise():
    old, mid, new = drift_reports()
    m = merged(old, mid, new)
    (change,) = m.changes(0, 1)
    assert (change.row.id, change.devices, change.old, change.new) == ("serialization.load", ["cpu"],
                                                                       "holds", "changed")
    assert mx._change_text(change) == ("`serialization.load` (cpu): holds → changed — documented (holds <2.6): "
                                       "torch.load defaults to weights_only=True since 2.6.")


def test_what_changed_flags_an_undocumented_break():
    old, mid, new = drift_reports()
    (change,) = merged(old, mid, new).changes(1, 2)
    assert (change.row.id, change.old, change.new) == ("views.view", "holds", "broken")
    assert "undocumented" in mx._change_text(change)


def test_unchanged_versions_say_so():
    a, b = report("2.0.1", claim("a.one")), report("2.1.0", claim("a.one"))
    assert merged(a, b).changes(0, 1) == []
    assert "No claim changed status." in mx.render_markdown(merged(a, b))


def test_a_device_that_ran_in_only_one_column_is_not_a_change():
    cpu = report("2.6.0", claim("a.one"))
    gpu = report("2.13.0", claim("a.one", status={"cpu": "holds", "cuda": "holds"}), run=("cpu", "cuda"),
                 unchecked={})
    assert merged(cpu, gpu).changes(0, 1) == []


def test_a_claim_becoming_unchecked_is_a_coverage_note_not_a_change():
    a = report("2.0.1", claim("viz.dot"))
    b = report("2.6.0", claim("viz.dot", status={"cpu": "unchecked", "cuda": "unchecked"},
                              details={"cpu": "torchviz not installed"}))
    (change,) = merged(a, b).changes(0, 1)
    assert change.kind == "coverage"
    text = mx.render_markdown(merged(a, b))
    assert ("### 2.0.1 → 2.6.0\n\nNo claim changed status.\n- coverage (1, not a change of behaviour): "
            "`viz.dot` (cpu) holds → unchecked\n") in text


def test_claims_only_one_report_has_are_listed_apart():
    a = report("2.0.1", claim("a.one"), claim("a.old"))
    b = report("2.6.0", claim("a.one"), claim("a.new"))
    assert [(ch.row.id, ch.kind) for ch in merged(a, b).changes(0, 1)] == [("a.new", "catalog"),
                                                                           ("a.old", "catalog")]
    text = mx.render_markdown(merged(a, b))
    assert "- 1 claim(s) only in the newer report (another catalog): a.new\n" in text
    assert "- 1 claim(s) only in the older report (another catalog): a.old\n" in text


def test_a_column_without_results_is_named_and_compared_around():
    old, mid, new = drift_reports()
    failed = mx.Column(label="9.9.9", problem="pip could not install torch==9.9.9: ERROR: No matching "
                                              "distribution found for torch==9.9.9")
    m = mx.merge([mx.column_from_report(old), failed, mx.column_from_report(mid)])
    assert [c.label for c in m.columns] == ["2.0.1", "2.6.0", "9.9.9"]
    assert m.pairs() == [(0, 1)]
    text = mx.render_markdown(m)
    assert "- **9.9.9**: no results (pip could not install torch==9.9.9: ERROR: No matching" in text
    assert m.cell(m.rows[0], 2, "cpu") == (mx.NO_RESULT, "")


# --- output -------------------------------------------------------------------------------------------

def test_markdown_summary_counts_claims_per_status_per_column():
    text = mx.render_markdown(merged(*drift_reports()))
    lines = text.splitlines()
    head = lines.index("## Summary") + 4
    assert lines[head:head + 8] == [
        "| torch | device | holds | changed | erratum | BROKEN | unchecked | verdict |",
        "|---|---|---|---|---|---|---|---|",
        "| 2.0.1 | cpu | 3 | 0 | 0 | 0 | 0 | green |",
        "|  | cuda | 0 | 0 | 0 | 0 | 3 | cuda not run: CUDA not available (this torch is a CPU-only build) |",
        "| 2.6.0 | cpu | 2 | 1 | 0 | 0 | 0 | green |",
        "|  | cuda | 0 | 0 | 0 | 0 | 3 | cuda not run: CUDA not available (this torch is a CPU-only build) |",
        "| 2.13.0+cpu | cpu | 1 | 1 | 0 | 1 | 0 | 1 BROKEN |",
        "|  | cuda | 0 | 0 | 0 | 0 | 3 | cuda not run: CUDA not available (this torch is a CPU-only build) |"]


def test_the_terminal_summary_is_one_line_per_version_and_device():
    text = mx.summary_text(merged(*drift_reports()))
    assert "\ntorch       device  holds  changed  erratum  BROKEN  unchecked  verdict\n" in text
    assert "\n2.13.0+cpu  cpu         1        1        0       1          0  1 BROKEN\n" in text


def test_markdown_has_changes_environments_and_footnotes():
    text = mx.render_markdown(merged(*drift_reports()))
    assert "### 2.0.1 → 2.6.0\n\n- `serialization.load` (cpu): holds → changed — documented" in text
    assert "### 2.6.0 → 2.13.0+cpu\n\n- `views.view` (cpu): holds → BROKEN — undocumented" in text
    assert "| 2.6.0 | 2.6.0 | 2.2.6 | 3.11.7 | CPU-only build | none | cpu |" in text
    assert "| `serialization.load`[^1] | holds | unchecked | changed | unchecked | changed | unchecked |" in text
    assert ("[^1]: `serialization.load` — holds <2.6; otherwise: torch.load defaults to weights_only=True "
            "since 2.6.") in text
    assert "[^2]: `views.view` on 2.13.0+cpu cpu: AssertionError: view shares storage" in text


def test_html_is_self_contained_and_shows_the_notes_on_hover():
    old, mid, new = drift_reports()
    new["claims"][2]["says"] = "x.view(2, 3) <shares> storage & more"
    page = mx.render_html(merged(old, mid, new))
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    for external in ("http://", "https://", "<script", "<link", "@import", "url("):
        assert external not in page
    assert ("<td class='c changed' title='torch.load defaults to weights_only=True since 2.6.'>changed</td>"
            in page)
    assert "<td class='c broken' title='AssertionError: view shares storage'>BROKEN</td>" in page
    assert "<span class='chip red' title=''>torch 2.13.0+cpu: 1 BROKEN</span>" in page
    assert "<tr class='claim varies'><td class='id' title='x.view(2, 3) &lt;shares&gt; storage &amp; more'><code>views.view</code>" in page
    assert "<tr class='claim'><td class='id' title='autograd.grad-accumulates says.'>" in page
    assert "#only-varies:checked ~ table.claims tr.claim:not(.varies){display:none}" in page


def test_write_outputs_writes_both_files(tmp_path):
    md, page = mx.write_outputs(merged(*drift_reports()), tmp_path / "out")
    assert (md.name, page.name) == ("matrix.md", "matrix.html")
    assert "## What changed between consecutive versions" in md.read_text()
    assert "<h2>What changed between consecutive versions</h2>" in page.read_text()


# --- reports and the CLI ---------------------------------------------------------------------------------

def test_a_report_of_another_schema_version_is_one_clear_error(tmp_path, capsys):
    data = report("2.6.0", claim("a.one"))
    data["schema_version"] = SCHEMA_VERSION + 1
    path = write(tmp_path, "future.json", data)
    with pytest.raises(mx.MatrixError, match=rf"future.json: report schema_version {SCHEMA_VERSION + 1}, "
                                             rf"but this torch-spec reads schema_version {SCHEMA_VERSION}"):
        mx.load_report(path)
    good = write(tmp_path, "good.json", report("2.0.1", claim("a.one")))
    assert mx.main(["--from-reports", str(good), str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("torch-spec matrix: error: ") and "schema_version" in err[0]
    assert not (tmp_path / "o").exists()


def test_a_file_that_is_not_a_claims_report_is_refused(tmp_path):
    with pytest.raises(mx.MatrixError, match=r"other.json: not a torch-spec claims report \(schema 'x'"):
        mx.load_report(write(tmp_path, "other.json", {"schema": "x"}))
    with pytest.raises(mx.MatrixError, match=r"missing.json: cannot read the report"):
        mx.load_report(tmp_path / "missing.json")


def test_an_incomplete_run_is_not_green():
    col = mx.column_from_report(report("2.6.0", claim("a.one"), exitstatus=2))
    assert not col.ok
    assert mx.verdict(col).startswith("pytest exit status 2 with no BROKEN claim")


def test_from_reports_exits_0_when_green_and_1_with_a_broken_claim(tmp_path, capsys):
    old, mid, new = drift_reports()
    paths = [str(write(tmp_path, f"{n}.json", r)) for n, r in (("old", old), ("mid", mid), ("new", new))]
    assert mx.main(["--from-reports", *paths[:2], "--out", str(tmp_path / "green")]) == 0
    assert mx.main(["--from-reports", *paths, "--out", str(tmp_path / "red")]) == 1
    out = capsys.readouterr().out
    assert any(ln.startswith("2.13.0+cpu  cpu") and ln.endswith("  1 BROKEN") for ln in out.splitlines())
    assert "- `views.view` (cpu): holds → BROKEN — undocumented" in out
    assert (tmp_path / "red" / "matrix.html").is_file()


def test_the_matrix_reads_the_report_the_plugin_writes(mini, no_cuda):
    mini.write_catalog(claim_toml("t.one"), claim_toml("t.old", holds="<1.0", otherwise="Changed in 1.0.")
                       + 'fails = { raises = "AssertionError", match = "assert False" }\n')
    mini.write_tests('''
        import pytest, torch
        @pytest.mark.claim("t.one")
        def test_one(device):
            assert torch.ones(2, device=device).sum().item() == 2
        @pytest.mark.claim("t.old")
        def test_old():
            assert False
        ''')
    _, data = mini.report()
    path = mini.pytester.path / "real.json"
    path.write_text(json.dumps(data))
    m = mx.merge([mx.column_from_report(mx.load_report(path))])
    assert m.devices == ["cpu", "cuda", "any"]
    assert [(r.id, m.cell(r, 0, "cpu")[0], m.cell(r, 0, "any")[0]) for r in m.rows] == [
        ("t.one", "holds", ""), ("t.old", "", "changed")]


# --- running: venvs and the suite (pip and pytest faked) ----------------------------------------------

def test_numpy_is_pinned_below_2_for_torch_before_2_3():
    assert [mx.numpy_requirement(v) for v in ("1.13.1", "2.0.1", "2.2.2", "2.3.0", "2.15.0")] == [
        "numpy<2", "numpy<2", "numpy<2", "numpy", "numpy"]


class FakeRunner:
    """Stands in for `python -m venv` and pip: records the commands; the venv's bin/python is a script
    that answers the import probe as a venv with torch 2.6.0 would."""

    def __init__(self, pip_rc=0, pip_error="", interrupt=False):
        self.commands, self.pip_rc, self.pip_error, self.interrupt = [], pip_rc, pip_error, interrupt

    def __call__(self, cmd, log, echo, show, **kw):
        self.commands.append([str(c) for c in cmd])
        if cmd[1:3] == ["-m", "venv"]:
            python = Path(cmd[3]) / "bin" / "python"
            python.parent.mkdir(parents=True)
            python.write_text("#!/bin/sh\necho '{\"torch\": \"2.6.0+cu124\", \"numpy\": \"2.2.6\", "
                              "\"python\": \"3.11.7\"}'\n")
            python.chmod(0o755)
            return 0
        if self.interrupt:
            raise KeyboardInterrupt
        log.write_text(self.pip_error)
        return self.pip_rc


def ensure(tmp_path, runner, version="2.6.0", messages=None):
    echo = (messages.append if messages is not None else lambda s: None)
    return mx.ensure_venv(version, sys.executable, tmp_path / "cache", Path("/proj"), tmp_path / "install.log",
                          echo, runner=runner)


def test_a_built_venv_is_marked_complete_and_reused_without_installing(tmp_path):
    runner = FakeRunner()
    venv = ensure(tmp_path, runner)
    assert [c[1:3] for c in runner.commands] == [["-m", "venv"], ["-m", "pip"]]
    assert "-e" in runner.commands[1] and "/proj[dev,viz]" in runner.commands[1]
    assert json.loads((venv / mx.MARKER).read_text())["project"] == "/proj"
    again = FakeRunner()
    assert ensure(tmp_path, again) == venv
    assert again.commands == []


def test_a_cached_venv_is_updated_when_the_project_dependencies_change(tmp_path):
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\ndependencies = ["torch>=1.13"]\n')
    args = ("2.6.0", sys.executable, tmp_path / "cache", root, tmp_path / "install.log", lambda s: None)
    venv = mx.ensure_venv(*args, runner=FakeRunner())
    (root / "pyproject.toml").write_text('[project]\ndependencies = ["torch>=1.13", "filelock"]\n')
    again = FakeRunner()
    assert mx.ensure_venv(*args, runner=again) == venv
    assert [c[1:4] for c in again.commands] == [["-m", "pip", "install"]]
    assert json.loads((venv / mx.MARKER).read_text())["requirements"] == mx.requirements_fingerprint(root)
    third = FakeRunner()
    mx.ensure_venv(*args, runner=third)
    assert third.commands == []


def test_an_incomplete_venv_is_removed_and_rebuilt(tmp_path):
    venv = ensure(tmp_path, FakeRunner())
    (venv / mx.MARKER).unlink()
    (venv / "half-installed").write_text("")
    messages = []
    runner = FakeRunner()
    assert ensure(tmp_path, runner, messages=messages) == venv
    assert len(runner.commands) == 2 and not (venv / "half-installed").exists()
    assert any("removing incomplete venv" in m for m in messages)


def test_a_version_pip_cannot_install_leaves_no_venv(tmp_path):
    runner = FakeRunner(pip_rc=1, pip_error="ERROR: Could not find a version that satisfies the requirement "
                                            "torch==9.9.9 (from versions: 1.13.0, 1.13.1, 2.0.0, 2.0.1, 2.15.0)\n"
                                            "ERROR: No matching distribution found for torch==9.9.9\n")
    with pytest.raises(mx.InstallError) as info:
        ensure(tmp_path, runner, version="9.9.9")
    assert str(info.value) == ("pip could not install torch==9.9.9: ERROR: Could not find a version that "
                               "satisfies the requirement torch==9.9.9 (from versions: 1.13.0, 1.13.1, …, 2.15.0) "
                               "ERROR: No matching distribution found for torch==9.9.9")
    assert list((tmp_path / "cache").iterdir()) == []


def test_an_interrupted_install_leaves_no_venv(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        ensure(tmp_path, FakeRunner(interrupt=True))
    assert list((tmp_path / "cache").iterdir()) == []


def test_the_matrix_goes_on_after_a_version_pip_cannot_install(tmp_path):
    def fake_ensure(version, *a, **kw):
        if version == "9.9.9":
            raise mx.InstallError("pip could not install torch==9.9.9: ERROR: No matching distribution")
        return tmp_path / f"torch-{version}-py3.11"

    def fake_run(venv, root, report_path, log, extra, echo):
        return mx.column_from_report(report(venv.name.split("-")[1], claim("a.one")))

    messages = []
    columns = mx.run_matrix(["2.0.1", "9.9.9", "2.6.0"], tmp_path, sys.executable, tmp_path, tmp_path,
                            echo=messages.append, ensure=fake_ensure, run=fake_run)
    assert [(c.label, c.ok) for c in columns] == [("2.0.1", True), ("9.9.9", False), ("2.6.0", True)]
    assert "  torch 9.9.9: NOT INSTALLED: pip could not install torch==9.9.9: ERROR: No matching distribution" \
        in messages
    assert "<span class='chip grey'" in mx.render_html(mx.merge(columns))


def test_a_suite_that_writes_no_report_says_why(tmp_path):
    def runner(cmd, log, echo, show, **kw):
        assert "--claims-report" in cmd and "no:randomly" in cmd
        log.write_text("ImportError while loading conftest\nE   ModuleNotFoundError: No module named 'x'\n")
        return 4

    venv = tmp_path / "torch-1.13.1-py3.11"
    col = mx.run_suite(venv, tmp_path, tmp_path / "r.json", tmp_path / "p.log", [], print, runner=runner)
    assert (col.label, col.report) == ("1.13.1", None)
    assert col.problem.startswith("the suite did not run (pytest exit 4): E   ModuleNotFoundError: No module")


def test_progress_lines_shown_while_installing_and_running():
    assert mx._pip_line("Collecting torch==2.6.0") == "Collecting torch==2.6.0"
    assert mx._pip_line("  Using cached typing_extensions-4.12.whl") is None
    assert mx._pytest_line("........................................ [ 42%]") == "[ 42%]"
    assert mx._pytest_line("torch-spec: 3 hold · 0 changed") == "torch-spec: 3 hold · 0 changed"


def test_html_spans_a_device_independent_claim_over_its_version_devices():
    a = report("2.0.1", claim("misc.any", status={"any": "holds"}), claim("a.dev"), run=("cpu", "cuda"), unchecked={})
    page = mx.render_html(merged(a))
    assert "<th colspan='2'>torch 2.0.1</th>" in page
    assert "<td class='c holds' colspan='2'>holds <small>any device</small></td>" in page
    assert "<td class='c holds'>holds</td>\n<td class='c unchecked'>unchecked</td>" in page


def test_html_leaves_out_a_device_that_ran_in_no_column_and_says_so():
    page = mx.render_html(merged(*drift_reports()))
    assert ("<p><small>cuda ran in no column (CUDA not available (this torch is a CPU-only build)): its claims are "
            "all unchecked (see the summary) and its columns are left out here.</small></p>") in page
    assert "<th colspan='1'>torch 2.0.1</th>" in page
    assert "<th colspan='2'>torch 2.0.1</th>" in page  # the summary still shows cpu and cuda
