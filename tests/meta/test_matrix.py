"""The version matrix (spec/matrix/) on synthetic reports: validation, merge, "what changed",
Markdown/HTML output and the command line. Environments are in test_matrix_envs.py, boundaries and
bisection in test_matrix_boundaries.py."""
import json

import pytest

from spec.matrix import cli, markdown as md, page, reports as mx
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
    assert md.change_text(change) == ("`serialization.load` (cpu): holds → changed — documented (holds <2.6): "
                                       "torch.load defaults to weights_only=True since 2.6.")


def test_what_changed_flags_an_undocumented_break():
    old, mid, new = drift_reports()
    (change,) = merged(old, mid, new).changes(1, 2)
    assert (change.row.id, change.old, change.new) == ("views.view", "holds", "broken")
    assert "undocumented" in md.change_text(change)


def test_unchanged_versions_say_so():
    a, b = report("2.0.1", claim("a.one")), report("2.1.0", claim("a.one"))
    assert merged(a, b).changes(0, 1) == []
    assert "No claim changed status." in md.render_markdown(merged(a, b))


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
    text = md.render_markdown(merged(a, b))
    assert ("### 2.0.1 → 2.6.0\n\nNo claim changed status.\n- coverage (1, not a change of behaviour): "
            "`viz.dot` (cpu) holds → unchecked\n") in text


def test_claims_only_one_report_has_are_listed_apart():
    a = report("2.0.1", claim("a.one"), claim("a.old"))
    b = report("2.6.0", claim("a.one"), claim("a.new"))
    assert [(ch.row.id, ch.kind) for ch in merged(a, b).changes(0, 1)] == [("a.new", "catalog"),
                                                                           ("a.old", "catalog")]
    text = md.render_markdown(merged(a, b))
    assert "- 1 claim(s) only in the newer report (another catalog): a.new\n" in text
    assert "- 1 claim(s) only in the older report (another catalog): a.old\n" in text


def test_a_column_without_results_is_named_and_compared_around():
    old, mid, new = drift_reports()
    failed = mx.Column(label="9.9.9", problem="pip could not install torch==9.9.9: ERROR: No matching "
                                              "distribution found for torch==9.9.9")
    m = mx.merge([mx.column_from_report(old), failed, mx.column_from_report(mid)])
    assert [c.label for c in m.columns] == ["2.0.1", "2.6.0", "9.9.9"]
    assert m.pairs() == [(0, 1)]
    text = md.render_markdown(m)
    assert "- **9.9.9**: no results (pip could not install torch==9.9.9: ERROR: No matching" in text
    assert m.cell(m.rows[0], 2, "cpu") == (mx.NO_RESULT, "")


# --- output -------------------------------------------------------------------------------------------

def test_markdown_summary_counts_claims_per_status_per_column():
    text = md.render_markdown(merged(*drift_reports()))
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
    text = md.summary_text(merged(*drift_reports()))
    assert "\ntorch       device  holds  changed  erratum  BROKEN  unchecked  verdict\n" in text
    assert "\n2.13.0+cpu  cpu         1        1        0       1          0  1 BROKEN\n" in text


def test_markdown_has_changes_environments_and_footnotes():
    text = md.render_markdown(merged(*drift_reports()))
    assert "### 2.0.1 → 2.6.0\n\n- `serialization.load` (cpu): holds → changed — documented" in text
    assert "### 2.6.0 → 2.13.0+cpu\n\n- `views.view` (cpu): holds → BROKEN — undocumented" in text
    assert "| 2.6.0 | 2.6.0 | 2.2.6 | 3.11.7 | CPU-only build | none | cpu |" in text
    assert "| claim | 2.0.1 cpu | 2.6.0 cpu | 2.13.0+cpu cpu |" in text  # cuda ran nowhere: one line
    assert ("cuda ran in no column (CUDA not available (this torch is a CPU-only build)): its claims are all "
            "unchecked (see the summary) and its columns are left out of the claims table.") in text
    assert "| `serialization.load`[^1] | holds | changed | changed |" in text
    assert ("[^1]: `serialization.load` — holds <2.6; otherwise: torch.load defaults to weights_only=True "
            "since 2.6.") in text
    assert "[^2]: `views.view` on 2.13.0+cpu cpu: AssertionError: view shares storage" in text


def test_html_is_self_contained_and_shows_the_notes_on_hover():
    old, mid, new = drift_reports()
    new["claims"][2]["says"] = "x.view(2, 3) <shares> storage & more"
    html = page.render_html(merged(old, mid, new))
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    for external in ("http://", "https://", "<script", "<link", "@import", "url("):
        assert external not in html
    assert ("<td class='c changed' title='torch.load defaults to weights_only=True since 2.6.'>changed</td>"
            in html)
    assert "<td class='c broken' title='AssertionError: view shares storage'>BROKEN</td>" in html
    assert "<span class='chip red' title=''>torch 2.13.0+cpu: 1 BROKEN</span>" in html
    assert "<tr class='claim varies'><td class='id' title='x.view(2, 3) &lt;shares&gt; storage &amp; more'><code>views.view</code>" in html
    assert "<tr class='claim'><td class='id' title='autograd.grad-accumulates says.'>" in html
    assert "#only-varies:checked ~ table.claims tr.claim:not(.varies){display:none}" in html


def test_write_outputs_writes_both_files(tmp_path):
    md, page = cli.write_outputs(merged(*drift_reports()), tmp_path / "out")
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
    assert cli.main(["--from-reports", str(good), str(path), "--out", str(tmp_path / "o")]) == 2
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
    assert md.verdict(col).startswith("pytest exit status 2 with no BROKEN claim")


def test_from_reports_exits_0_when_green_and_1_with_a_broken_claim(tmp_path, capsys):
    old, mid, new = drift_reports()
    paths = [str(write(tmp_path, f"{n}.json", r)) for n, r in (("old", old), ("mid", mid), ("new", new))]
    assert cli.main(["--from-reports", *paths[:2], "--out", str(tmp_path / "green")]) == 0
    assert cli.main(["--from-reports", *paths, "--out", str(tmp_path / "red")]) == 1
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




# --- validation: hollow and filtered reports ---------------------------------------------------------------

def test_a_hollow_report_is_refused_not_green(tmp_path, capsys):
    data = report("2.6.0", claim("a.one"), claim("a.two"))
    data["claims"][1]["status"] = {}
    path = write(tmp_path, "hollow.json", data)
    with pytest.raises(mx.MatrixError, match=r"hollow.json: hollow report: claim #2 \(a.two\) has no status"):
        mx.load_report(path)
    assert cli.main(["--from-reports", str(path), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_a_report_whose_summary_does_not_count_its_claims_is_refused(tmp_path):
    data = report("2.6.0", claim("a.one"))
    data["summary"]["holds"] = 250
    with pytest.raises(mx.MatrixError, match=r"does not count the claims' statuses"):
        mx.load_report(write(tmp_path, "edited.json", data))
    data = report("2.6.0", claim("a.one"))
    data["claims"][0]["status"]["cpu"] = "passed"
    with pytest.raises(mx.MatrixError, match=r"claim a.one: unknown status 'passed'"):
        mx.load_report(write(tmp_path, "odd.json", data))


def test_a_filtered_run_is_named_as_such_not_another_catalog():
    full = report("2.0.1", *[claim(f"a.c{n}") for n in range(250)])
    full["run"] = {"keyword": None, "markexpr": None, "catalog_claims": 250}
    part = report("2.6.0", claim("a.c1"))
    part["run"] = {"keyword": "c1", "markexpr": None, "catalog_claims": 250}
    text = md.render_markdown(merged(full, part))
    assert "- 249 claim(s) not in 2.6.0: a filtered run (-k c1)\n" in text
    assert "another catalog" not in text and "a.c17" not in text.split("## Environments")[0]


def test_another_catalog_lists_ten_ids_and_counts_the_rest():
    old = report("2.0.1", claim("a.one"))
    new = report("2.6.0", claim("a.one"), *[claim(f"b.n{n:02d}") for n in range(12)])
    text = md.render_markdown(merged(old, new))
    assert ("- 12 claim(s) only in the newer report (another catalog): b.n00, b.n01, b.n02, b.n03, b.n04, b.n05, "
            "b.n06, b.n07, b.n08, b.n09, and 2 more\n") in text


# --- layout: absent devices, sections, the any column ------------------------------------------------------

def test_no_footnote_per_cell_of_an_absent_device_and_one_footnote_per_distinct_note():
    a = report("2.0.1", claim("a.one"), claim("a.two", status={"cpu": "unchecked", "cuda": "unchecked"},
                                                details={"cpu": "torchviz not installed"}))
    b = report("2.6.0", claim("a.one"), claim("a.two", status={"cpu": "unchecked", "cuda": "unchecked"},
                                                details={"cpu": "torchviz not installed"}))
    text = md.render_markdown(merged(a, b))
    assert "CUDA not available" not in text.split("## Claims")[1].split("\n", 3)[3]  # only the one line
    assert text.count("[^1]: unchecked: torchviz not installed") == 1
    assert "| `a.two` | unchecked[^1] | unchecked[^1] |" in text


def test_a_section_heading_appears_once_even_when_its_claims_come_from_two_files():
    data = report("2.6.0", claim("a.one", "Autograd"), claim("a.two", "Saving"), claim("a.bench", "Autograd"))
    text = md.render_markdown(merged(data))
    assert text.count("#### Autograd") == 1
    assert text.index("`a.bench`") < text.index("#### Saving")


def test_html_puts_device_independent_claims_under_an_any_column_and_explains_blank_cells():
    a = report("2.0.1", claim("misc.any", status={"any": "holds"}), claim("a.dev"), run=("cpu", "cuda"), unchecked={})
    html = page.render_html(merged(a))
    assert "<th colspan='3'>torch 2.0.1</th>" in html
    assert "<th><small>cpu</small></th><th><small>cuda</small></th><th><small>any</small></th>" in html
    row = html.split("<code>misc.any</code>")[1].split("</tr>")[0]
    assert row.count("<td class='c none' title='does not run on this device (see any)'></td>") == 2
    assert "<td class='c holds'>holds</td>" in row
    assert "a blank cell: the claim does not run on that device" in html


def test_html_leaves_out_a_device_that_ran_in_no_column_and_says_so():
    html = page.render_html(merged(*drift_reports()))
    assert ("<p><small>cuda ran in no column (CUDA not available (this torch is a CPU-only build)): its claims are "
            "all unchecked (see the summary) and its columns are left out of the claims table.</small></p>") in html
    assert "<th colspan='1'>torch 2.0.1</th>" in html
    assert "<th colspan='2'>torch 2.0.1</th>" in html  # the summary still shows cpu and cuda


def test_a_column_without_results_still_has_a_summary_row():
    failed = mx.Column(label="2.15.0", problem="a pip constraint caps torch (torch<=2.14.1 in /etc/c.txt)")
    text = md.summary_text(mx.merge([failed]))
    row = next(ln for ln in text.splitlines() if ln.startswith("2.15.0"))
    assert row.split()[:7] == ["2.15.0"] + ["—"] * 6
    assert row.endswith("no results: a pip constraint caps torch (torch<=2.14.1 in /etc/c.txt)")


def test_the_fan_in_merges_reports_the_plugin_made_here(mini, no_cuda, tmp_path, capsys):
    """What the workflow's last job does: --from-reports over the jobs' --claims-report files."""
    mini.write_catalog(claim_toml("t.one"))
    mini.write_tests('''
        import pytest, torch
        @pytest.mark.claim("t.one")
        def test_one(device):
            assert torch.ones(2, device=device).sum().item() == 2
        ''')
    _, data = mini.report()
    assert data["run"] == {"keyword": None, "markexpr": None, "catalog_claims": 1}
    paths = []
    for name, torch in (("cpu-2.0.1", "2.0.1"), ("cpu-2.6.0", "2.6.0")):
        data["environment"]["torch"] = torch
        paths.append(str(write(tmp_path, f"{name}.json", data)))
    assert cli.main(["--from-reports", *paths, "--out", str(tmp_path / "site")]) == 0
    assert "No claim changed status." in capsys.readouterr().out
    assert (tmp_path / "site" / "matrix.html").read_text().count("torch 2.6.0: green") == 1
