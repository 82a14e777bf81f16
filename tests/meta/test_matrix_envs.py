"""The matrix's environments (spec/matrix/envs.py, pipconf.py, run.py, timing.py): uv (or pip) faked,
the venv cache and its marker, pip's config told to uv, the constraint that caps torch, the lock."""
import json
import sys
import threading
import time
from pathlib import Path

import pytest

from spec.matrix import envs, page, pipconf, reports as mx, run, timing
from spec.matrix.envs import Installer

from .test_matrix import claim, report

PIP_CONFIG = """\
:env:.cert='/etc/ssl/certs/ca-certificates.crt'
:env:.find-links='/opt/wheels'
global.constraint='/etc/xdg/pip/constraints.txt'
global.extra-index-url='file:///opt/pypi/simple file:///opt/pypi-more/simple'
global.find-links='/somewhere/else'
"""


def test_numpy_is_pinned_below_2_for_torch_before_2_3():
    assert [envs.numpy_requirement(v) for v in ("1.13.1", "2.0.1", "2.2.2", "2.3.0", "2.15.0")] == [
        "numpy<2", "numpy<2", "numpy<2", "numpy", "numpy"]


# --- pip's config, told to uv ------------------------------------------------------------------------

def test_pip_config_becomes_uv_options_with_pips_index_rule():
    config = pipconf.parse_config_list(PIP_CONFIG)
    assert config == {"extra-index-url": "file:///opt/pypi/simple file:///opt/pypi-more/simple",
                      "find-links": "/opt/wheels", "constraint": "/etc/xdg/pip/constraints.txt"}  # env wins
    assert pipconf.sources(config).uv_args() == [
        "--index-strategy", "unsafe-best-match", "--extra-index-url", "file:///opt/pypi/simple",
        "--extra-index-url", "file:///opt/pypi-more/simple", "--find-links", "/opt/wheels",
        "--constraint", "/etc/xdg/pip/constraints.txt"]


def test_constraint_option_replaces_pips_constraint_files():
    config = pipconf.parse_config_list(PIP_CONFIG)
    lifted = pipconf.sources(config, ["none"])
    assert "--constraint" not in lifted.uv_args()
    assert "pip's constraint /etc/xdg/pip/constraints.txt not applied (--constraint)" in lifted.describe()
    mine = pipconf.sources(config, ["/tmp/mine.txt"])
    assert mine.constraints == ["/tmp/mine.txt"] and mine.lifted == ["/etc/xdg/pip/constraints.txt"]


def test_a_constraint_that_caps_torch_is_one_line_in_its_own_terms(tmp_path):
    path = tmp_path / "constraints.txt"
    path.write_text("# local releases only\ntorch<=2.14.1\ntorchvision<=0.29.1\n")
    assert pipconf.torch_cap([str(path)], "2.14.1") == ""
    assert pipconf.torch_cap([str(path)], "2.15.0") == (
        f"a pip constraint caps torch (torch<=2.14.1 in {path}); `--constraint none` (or --constraint FILE) "
        f"gives uv other constraints for this run")


def test_uv_errors_read_in_the_terms_of_the_cause(tmp_path):
    log = tmp_path / "install.log"
    log.write_text("error: No solution found when resolving dependencies\n  cause: Because there is no version "
                   "of torch==9.9.9 and you require torch==9.9.9, we can conclude that your requirements are "
                   "unsatisfiable.\n")
    assert Installer().explain(log, "9.9.9") == ("no such release: torch 9.9.9 is not on the package indexes "
                                                 "(index PyPI) for this Python")
    log.write_text("error: Failed to fetch: `https://pypi.org/simple/torch/`\n")
    assert Installer().explain(log, "2.6.0") == ("uv could not install torch==2.6.0: error: Failed to fetch: "
                                                 "`https://pypi.org/simple/torch/`")


# --- the venv cache (uv faked) -----------------------------------------------------------------------

class FakeRunner:
    """Stands in for `uv venv` / `uv pip install`: records the commands; the venv's bin/python is a
    script that answers the import probe as a venv with torch 2.6.0 would."""

    def __init__(self, rc=0, error="", interrupt=False):
        self.commands, self.rc, self.error, self.interrupt = [], rc, error, interrupt

    def __call__(self, cmd, log, echo, show, **kw):
        self.commands.append([str(c) for c in cmd])
        if "venv" in cmd[:3]:
            python = Path(cmd[-1]) / "bin" / "python"
            python.parent.mkdir(parents=True)
            python.write_text("#!/bin/sh\necho '{\"torch\": \"2.6.0+cu124\", \"numpy\": \"2.2.6\", "
                              "\"python\": \"3.11.7\"}'\n")
            python.chmod(0o755)
            return 0
        if self.interrupt:
            raise KeyboardInterrupt
        log.write_text(self.error)
        return self.rc


def ensure(tmp_path, runner, version="2.6.0", messages=None, root=Path("/proj"), installer=None):
    echo = (messages.append if messages is not None else lambda s: None)
    return envs.ensure_venv(version, sys.executable, tmp_path / "cache", root, tmp_path / "install.log",
                            echo, runner=runner, installer=installer or Installer(uv="/bin/uv"))


def test_a_built_venv_is_marked_complete_and_reused_without_installing(tmp_path):
    runner = FakeRunner()
    venv = ensure(tmp_path, runner)
    assert [c[:3] for c in runner.commands] == [["/bin/uv", "venv", "--quiet"], ["/bin/uv", "pip", "install"]]
    install = runner.commands[1]
    assert install[install.index("--python") + 1] == str(venv / "bin" / "python")
    assert install[-4:] == ["torch==2.6.0", "numpy", "-e", "/proj[dev,viz]"]
    assert "unsafe-best-match" in install
    marker = json.loads((venv / envs.MARKER).read_text())
    assert (marker["project"], marker["installer"]) == ("/proj", "uv")
    again = FakeRunner()
    assert ensure(tmp_path, again) == venv
    assert again.commands == []


def test_the_pip_path_builds_with_venv_and_pip():
    pip = Installer("pip")
    assert pip.create("/usr/bin/python3", Path("/c/v"))[1:3] == ["-m", "venv"]
    assert pip.install(Path("/c/v"), "1.13.1", Path("/p"))[:4] == ["/c/v/bin/python", "-m", "pip", "install"]
    assert pip.install(Path("/c/v"), "1.13.1", Path("/p"))[-4:] == ["torch==1.13.1", "numpy<2", "-e", "/p[dev,viz]"]


def test_a_cached_venv_is_updated_when_the_project_dependencies_change(tmp_path):
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\ndependencies = ["torch>=1.13"]\n')
    venv = ensure(tmp_path, FakeRunner(), root=root)
    (root / "pyproject.toml").write_text('[project]\ndependencies = ["torch>=1.13", "filelock"]\n')
    again = FakeRunner()
    assert ensure(tmp_path, again, root=root) == venv
    assert [c[1:3] for c in again.commands] == [["pip", "install"]]
    assert json.loads((venv / envs.MARKER).read_text())["requirements"] == envs.requirements_fingerprint(root)
    third = FakeRunner()
    ensure(tmp_path, third, root=root)
    assert third.commands == []


def test_an_incomplete_venv_is_removed_and_rebuilt(tmp_path):
    venv = ensure(tmp_path, FakeRunner())
    (venv / envs.MARKER).unlink()
    (venv / "half-installed").write_text("")
    messages = []
    runner = FakeRunner()
    assert ensure(tmp_path, runner, messages=messages) == venv
    assert len(runner.commands) == 2 and not (venv / "half-installed").exists()
    assert any("removing incomplete venv" in m for m in messages)


def test_a_version_that_cannot_install_leaves_no_venv_and_says_why(tmp_path):
    runner = FakeRunner(rc=1, error="error: No solution found\n  cause: Because there is no version of "
                                    "torch==9.9.9 and you require torch==9.9.9, we can conclude ...\n")
    with pytest.raises(envs.InstallError, match=r"^no such release: torch 9\.9\.9 is not on the package indexes"):
        ensure(tmp_path, runner, version="9.9.9")
    assert list((tmp_path / "cache").iterdir()) == []


def test_a_capped_version_is_refused_before_anything_is_installed(tmp_path):
    cap = tmp_path / "constraints.txt"
    cap.write_text("torch<=2.14.1\n")
    runner = FakeRunner()
    installer = Installer(uv="/bin/uv", sources=pipconf.Sources(constraints=[str(cap)]),
                          releases=lambda python: ["2.14.1", "2.15.0"])
    with pytest.raises(envs.InstallError, match=rf"^a pip constraint caps torch \(torch<=2.14.1 in {cap}\)"):
        ensure(tmp_path, runner, version="2.15.0", installer=installer)
    assert runner.commands == []
    with pytest.raises(envs.InstallError, match=r"^no such release: torch 9.9.9 \(torch releases for this "
                                                r"Python: 2.14.1 … 2.15.0\)$"):
        ensure(tmp_path, runner, version="9.9.9", installer=installer)  # the cap is not the cause
    assert runner.commands == []


def test_an_interrupted_install_leaves_no_venv(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        ensure(tmp_path, FakeRunner(interrupt=True))
    assert [p.name for p in (tmp_path / "cache").iterdir()] == []


def test_one_lock_per_cache_makes_a_second_run_wait(tmp_path):
    order, messages = [], []

    def second():
        with envs.cache_lock(tmp_path, exclusive=True, echo=messages.append):
            order.append("second")

    with envs.cache_lock(tmp_path, exclusive=True, echo=print):
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.3)
        order.append("first done")
    thread.join(5)
    assert order == ["first done", "second"]
    assert messages == [f"  waiting for another matrix run using {tmp_path} ..."]


def test_runs_in_built_venvs_share_the_lock(tmp_path):
    with envs.cache_lock(tmp_path, exclusive=False, echo=print):
        with envs.cache_lock(tmp_path, exclusive=False, echo=pytest.fail):  # a second reader does not wait
            pass


# --- running the suite -------------------------------------------------------------------------------

def test_the_matrix_goes_on_after_a_version_that_cannot_install(tmp_path):
    def fake_ensure(version, *a, **kw):
        if version == "9.9.9":
            raise envs.InstallError("no such release: torch 9.9.9 is not on the package indexes")
        return tmp_path / f"torch-{version}-py3.11"

    def fake_run(venv, root, report_path, log, extra, echo):
        return mx.column_from_report(report(venv.name.split("-")[1], claim("a.one")))

    messages = []
    columns = run.run_versions(["2.0.1", "9.9.9", "2.6.0"], tmp_path, sys.executable, tmp_path, tmp_path,
                               echo=messages.append, ensure=fake_ensure, run=fake_run)
    assert [(c.label, c.ok) for c in columns] == [("2.0.1", True), ("9.9.9", False), ("2.6.0", True)]
    assert "  torch 9.9.9: NOT INSTALLED: no such release: torch 9.9.9 is not on the package indexes" in messages
    assert "<span class='chip grey'" in page.render_html(mx.merge(columns))


def test_a_suite_that_writes_no_report_says_why(tmp_path):
    def runner(cmd, log, echo, show, **kw):
        assert "--claims-report" in cmd and "no:randomly" in cmd
        log.write_text("ImportError while loading conftest\nE   ModuleNotFoundError: No module named 'x'\n")
        return 4

    venv = tmp_path / "torch-1.13.1-py3.11"
    col = run.run_suite(venv, tmp_path, tmp_path / "r.json", tmp_path / "p.log", [], print, runner=runner)
    assert (col.label, col.report) == ("1.13.1", None)
    assert col.problem.startswith("the suite did not run (pytest exit 4): E   ModuleNotFoundError: No module")


def test_progress_lines_shown_while_installing_and_running():
    assert envs._shown("Resolved 24 packages in 1.58s") == "Resolved 24 packages in 1.58s"
    assert envs._shown(" + torch==2.6.0") == "+ torch==2.6.0"
    assert envs._shown(" + sympy==1.13.1") is None
    assert envs._shown("Collecting torch==2.6.0") == "Collecting torch==2.6.0"
    assert run.pytest_line("........................................ [ 42%]") == "[ 42%]"
    assert run.pytest_line("torch-spec: 3 hold · 0 changed") == "torch-spec: 3 hold · 0 changed"


# --- build times ---------------------------------------------------------------------------------------

def test_build_times_are_pip_and_uv_cold_then_cached_in_one_run(tmp_path):
    seen = []

    def fake_ensure(version, python, venvs, root, log, echo, installer=None):
        seen.append((installer.kind, installer.env, venvs.name))

    results = timing.time_builds("2.6.0", sys.executable, tmp_path / "cache", tmp_path, tmp_path / "out",
                                 echo=lambda s: None, ensure=fake_ensure, make=lambda kind, py: Installer(kind))
    assert [(r["installer"], r["cache"]) for r in results] == [("pip", "cold"), ("pip", "cached"),
                                                              ("uv", "cold"), ("uv", "cached")]
    scratch = tmp_path / ".timing-2.6.0"
    assert seen[0] == ("pip", {"PIP_CACHE_DIR": str(scratch / "pip-cache")}, "pip-venvs")
    assert seen[2] == ("uv", {"UV_CACHE_DIR": str(scratch / "uv-cache")}, "uv-venvs")
    assert not scratch.exists()  # the temporary caches are removed
    assert json.loads((tmp_path / "out" / "build-times.json").read_text())["results"] == results


def test_a_cached_venv_of_another_checkout_is_pointed_at_this_one(tmp_path):
    venv = ensure(tmp_path, FakeRunner(), root=Path("/old-clone"))
    again = FakeRunner()
    assert ensure(tmp_path, again, root=Path("/proj")) == venv
    assert again.commands[0][-2:] == ["-e", "/proj[dev,viz]"] and len(again.commands) == 1
    assert json.loads((venv / envs.MARKER).read_text())["project"] == "/proj"


def test_pip_is_asked_even_from_an_interpreter_without_pip():
    assert pipconf.pip_command(sys.executable) == [sys.executable, "-m", "pip"]
    assert pipconf.pip_command("/no/such/python") == [sys.executable, "-m", "pip"]  # e.g. a venv made by uv
