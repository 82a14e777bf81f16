"""Learner mode never says ✓ wrongly, never hangs: the rules of issue 11, each shown on the synthetic
catalog of test_learn_walk (or on a real claim where the real test is the point).

- an endless loop fails by its time limit, named where it was, and --watch answers the next save;
- Ctrl-C is "interrupted at <claim>", exit 130, never "all walked";
- a learner's crash inside a "changed" claim's expected failure is ✗;
- a forgotten .to(device) is ✗ (device="meta") or said to be unchecked here, never a silent ✓;
- a save that breaks a claim passed before is reported at that save;
- the tutorial's own bug is named at the failure it explains;
- a file that does not load is a problem of the file: no claim heading, progress kept.
"""
import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from spec.catalog import load_catalog
from spec.learn import show
from spec.learn.lesson import INTERRUPTED
from spec.learn.stubs import TUTORIALS_DIR
from spec.learn.walk import run_walk
from spec.learn.watcher import watch
from tests.meta.test_learn_walk import args_for, cli, world, wrong_workspace  # noqa: F401  (fixture)

ENDLESS = '''
def make_parameters(device):
    epoch = 0
    while epoch < 10:
        a = torch.randn(1, device=device)
    return a, a
'''


def _line_of(ws: Path, text: str) -> int:
    return next(i for i, ln in enumerate((ws / "regression.py").read_text().splitlines(), 1) if text in ln)


def test_an_endless_loop_fails_by_its_time_limit_and_watch_answers_the_next_save(world):
    ws = wrong_workspace(world, ENDLESS)
    args = args_for(world, ["--watch", "--timeout", "1"], ws=ws)
    args.warm = False
    lines, times = [], []

    def write(line):
        lines.append(line)
        times.append(time.monotonic())
        if line.startswith("watching") and sum(ln.startswith("watching") for ln in lines) == 1:
            (ws / "regression.py").write_text((TUTORIALS_DIR / "regression.py").read_text())

    started = time.monotonic()
    code = watch(args, load_catalog(world / "catalog"), interval=0.05, write=write, max_runs=2)
    text = "\n".join(lines)
    assert code == 0
    assert "✗ training.fourth" in text
    assert "your code ran longer than 1 s in make_parameters (" in text and "an endless loop?" in text
    first_verdict = times[next(i for i, ln in enumerate(lines) if ln.startswith("watching"))]
    assert first_verdict - started < 1 + 15  # the limit, plus starting pytest on a loaded machine
    after = text[text.index("saved: regression.py"):]
    assert "✓ training.fourth" in after  # the next save was answered


def test_the_time_limit_names_the_learners_line(world):
    ws = wrong_workspace(world, ENDLESS)
    code, text = cli(world, ["--timeout", "1"], ws=ws)
    line = _line_of(ws, "a = torch.randn(1, device=device)")
    loop = _line_of(ws, "while epoch < 10:")
    assert code == 1
    assert any(f"make_parameters ({ws}/regression.py:{n}): an endless loop?" in text for n in (line, loop))


def test_ctrl_c_is_interrupted_at_the_claim_exit_130_and_counts_nothing_after(world):
    entered = world / "entered-the-loop"
    ws = wrong_workspace(world, ENDLESS.replace("    epoch = 0\n", f"    open({str(entered)!r}, 'w').close()\n"
                                                                   "    epoch = 0\n"))

    def ctrl_c():  # Ctrl-C reaches the parent while the child is inside the loop
        if entered.exists():
            raise KeyboardInterrupt
        return False

    code, text = cli(world, ["--timeout", "60"], ws=ws, poll=ctrl_c)
    assert code == INTERRUPTED
    assert "interrupted at training.fourth: nothing after it was checked or counted" in text
    assert "All " not in text and "walked" not in text
    state = json.loads((world / "wrong.torch-spec-progress.json").read_text())
    assert "training.fourth" not in state["passed"]


def _wait_for_the_walk(pid, limit_s=60):
    """Until process `pid` has forked the walk's worker: a child with its own command line (start-up
    may run other children, e.g. ldconfig, and a Ctrl-C there can be lost). Linux /proc; else 8 s."""
    proc = Path(f"/proc/{pid}")
    if not (proc / "task" / str(pid) / "children").is_file():
        time.sleep(8)
        return
    own = (proc / "cmdline").read_bytes()
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            kids = (proc / "task" / str(pid) / "children").read_text().split()
            if any(Path(f"/proc/{k}/cmdline").read_bytes() == own for k in kids):
                return
        except OSError:  # a child gone between the two reads, or pid itself gone
            pass
        time.sleep(0.05)


def _as_from_a_terminal():
    """In the child before exec: Ctrl-C as a terminal delivers it to a command in the foreground (SIGINT
    not ignored, not blocked), whatever this pytest inherited: a run started in the background by a
    non-interactive shell (nohup, `&` in a script, some CI runners) has SIGINT ignored, and exec keeps that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())


def test_a_real_sigint_exits_130_without_all_walked(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    for p in TUTORIALS_DIR.glob("[a-z]*.py"):
        (ws / p.name).write_text(p.read_text())
    ref = (ws / "regression.py").read_text()
    looping = ref.replace("\n    np.random.seed(42)\n", "\n    while True:\n        pass\n", 1)  # data_gen's code,
    assert looping != ref and "\n    while True:\n" in looping                       # not its docstring
    (ws / "regression.py").write_text(looping)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    log = tmp_path / "out.txt"  # a file, not a pipe: the exit is what is checked, not who holds a pipe
    with open(log, "w") as sink:
        p = subprocess.Popen([sys.executable, "-m", "spec", "learn", str(ws), "--tutorial", "regression",
                              "--timeout", "120"], stdout=sink, stderr=subprocess.STDOUT, env=env,
                             cwd=str(Path(__file__).resolve().parents[2]), start_new_session=True,
                             preexec_fn=_as_from_a_terminal)
    try:
        _wait_for_the_walk(p.pid)
        p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            tree = subprocess.run(["ps", "-o", "pid,ppid,stat,wchan:20,cmd", "-s", str(p.pid)],
                                  capture_output=True, text=True).stdout
            pytest.fail(f"no exit 60 s after SIGINT; processes:\n{tree}\noutput:\n{log.read_text()[-2000:]}")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)  # whatever it left behind
    out = log.read_text()
    assert p.returncode == INTERRUPTED, out
    assert "interrupted at " in out and "walked" not in out  # the walk stopped (not the start-up)


CHANGED_CATALOG = '''
[tutorial]
id = "regression"
title = "Understanding PyTorch with an example"
seeds = ["000_5e7b58b47e6d2300.txt"]

[[claim]]
id = "params.old-behaviour"
section = "Creating Parameters"
quote = "old quote"
says = "On old torch, a starts at 42."
hint = "Seed it."
holds = "<1.0"
otherwise = "Today a starts at 0.3367 (the test asserts the old value, and fails expectedly)."
fails = { raises = "AssertionError", match = "the old value" }
'''

CHANGED_TESTS = '''
import pytest
import torch

@pytest.mark.claim("params.old-behaviour")
def test_old(tutorial, device):
    a, b = tutorial.make_parameters(device)
    assert a.item() == 42, "the old value"
'''


def _changed_world(tmp_path):
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "regression.toml").write_text(CHANGED_CATALOG)
    (tmp_path / "claims").mkdir()
    (tmp_path / "claims" / "test_changed.py").write_text(CHANGED_TESTS)
    return tmp_path


def test_a_crash_inside_a_changed_claim_is_the_learners_failure(tmp_path):
    world_ = _changed_world(tmp_path)
    extra = ["--catalog", str(world_ / "catalog"), "-p", "spec.plugin", "--import-mode=importlib"]
    good = wrong_workspace(world_, "")
    w, _, _ = run_walk(["params.old-behaviour"], str(good), devices="cpu", paths=[str(world_ / "claims")],
                       extra=extra)
    assert w.results["params.old-behaviour"].status == "changed"  # fails the recorded way
    (world_ / "wrong").rename(world_ / "good")
    crash = wrong_workspace(world_, '''
        def make_parameters(device):
            torch.manual_seed(42)
            return torch.randn(1, device=devce), None
    ''')
    w, _, _ = run_walk(["params.old-behaviour"], str(crash), devices="cpu",
                       paths=[str(world_ / "claims")], extra=extra)
    r = w.results["params.old-behaviour"]
    assert r.status == "failed"
    assert "NameError" in r.explanation["error"] and r.explanation["your_lines"]


def test_a_forgotten_to_device_is_a_failure_through_device_meta():
    import shutil
    import tempfile
    ws = Path(tempfile.mkdtemp()) / "ws"
    ws.mkdir()
    for p in TUTORIALS_DIR.glob("[a-z]*.py"):
        shutil.copy(p, ws)
    ref = (ws / "regression.py").read_text()
    (ws / "regression.py").write_text(ref + "\n\ndef to_tensor(array, device):\n"
                                      "    return torch.from_numpy(array).float()\n")
    w, _, _ = run_walk(["tensors.float-to-float32"], str(ws), devices="cpu",
                       paths=["tests/claims/test_regression_practice.py"], stop=False)
    r = w.results["tensors.float-to-float32"]
    assert r.status == "failed" and "returned a tensor on cpu: .to(device)?" in r.explanation["error"]
    shutil.rmtree(ws.parent)


@pytest.mark.skipif(torch.cuda.is_available(), reason="unchecked: with CUDA the device case runs")
def test_a_claim_whose_device_case_could_not_run_says_so_beside_its_check_mark(world):
    code, text = cli(world, [], ws=wrong_workspace(world, ""))
    assert "✓ training.fourth (the tutorial is wrong here): Seeded with 42" in text
    assert "· your code in 1 of these claims on another device: unchecked here (CUDA not available" \
        in " ".join(text.split())


def test_a_save_that_breaks_a_claim_passed_before_is_reported_at_that_save(world):
    ws = wrong_workspace(world, '''
        def make_parameters(device):
            raise NotImplementedError("TODO: write make_parameters")
    ''')
    code, text = cli(world, [], ws=ws)
    assert code == 1 and "✗ training.fourth" in text  # data.second passed on the way
    source = (ws / "regression.py").read_text()
    (ws / "regression.py").write_text(source + textwrap.dedent('''
        def data_gen():
            x = np.zeros((10, 1))
            return x, x, x, x
    '''))
    code, text = cli(world, [], ws=ws)
    assert code == 1
    assert "This passed before and fails now: your last save broke data.second." in text
    assert "✗ data.second" in text and "✗ training.fourth" not in text
    assert "(rechecked 1 claim your save could have broken, then the claim you are on;" in text


ERRATUM_CATALOG = CHANGED_CATALOG.split("[[claim]]")[0] + '''
[[claim]]
id = "params.values"
section = "Creating Parameters"
quote = "first quote"
says = "Seeded with 42, a starts at 0.3367."
hint = "torch.manual_seed(42) first."

[[claim]]
id = "params.printed-code"
section = "Creating Parameters"
quote = "second quote"
says = "The printed code never seeds."
hint = "Read it."
erratum = "The section's printed code forgets torch.manual_seed(42)."
'''

ERRATUM_TESTS = '''
import pytest
import torch

@pytest.mark.claim("params.values")
def test_values(tutorial):
    a, b = tutorial.make_parameters("cpu")
    assert abs(a.item() - 0.3367) < 1e-4, "a starts at 0.3367 after torch.manual_seed(42)"

@pytest.mark.claim("params.printed-code")
def test_printed(tutorial):
    assert True
'''


def test_the_tutorials_bug_is_named_at_the_failure_it_explains(tmp_path):
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "regression.toml").write_text(ERRATUM_CATALOG)
    (tmp_path / "claims").mkdir()
    (tmp_path / "claims" / "test_erratum.py").write_text(ERRATUM_TESTS)
    ws = wrong_workspace(tmp_path, '''
        def make_parameters(device):
            a = torch.randn(1, requires_grad=True, device=device)
            return a, torch.randn(1, requires_grad=True, device=device)
    ''')
    code, text = cli(tmp_path, [], ws=ws)
    assert code == 1 and "✗ params.values" in text
    assert "The tutorial's printed code does this too: The section's printed code forgets " \
           "torch.manual_seed(42)." in " ".join(text.split())


def test_the_model_sections_missing_zero_grad_is_named_at_the_full_code_failure():
    catalog = load_catalog()
    expl = {"error": "AssertionError: a should end at 1.0235, got 0.0058",
            "calls": ["train_model never zeroes the gradients, but the tutorial's version does "
                      "(optimizer.zero_grad() or .grad.zero_() after each step)"]}
    found = show.nearby_errata(catalog, "module.full-code-trained-values", expl)
    assert any("without optimizer.zero_grad()" in e and points for e, points in found)
    assert not show.nearby_errata(catalog, "data.shapes", {"error": "AssertionError: shape"})


def test_an_erratum_of_the_section_the_failure_does_not_point_at_is_not_called_its_cause():
    # review: a float64 to_tensor was told "the tutorial's printed code does this too: ... a CUDA tensor
    # converts to NumPy" - an erratum of the section, but not what the learner's code did
    catalog = load_catalog()
    expl = {"error": "AssertionError: to_tensor should call .float() (float32), got torch.float64",
            "calls": ["to_tensor(…) returned tensor of shape (80, 1), torch.float64, on cpu"]}
    found = show.nearby_errata(catalog, "tensors.float-to-float32", expl)
    assert found and all(not points for _, points in found), found
    expl["error"] = "TypeError: can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy"
    assert any(points and "CUDA tensor" in e for e, points in show.nearby_errata(catalog, "tensors.float-to-float32", expl))


def test_a_file_that_does_not_load_is_a_problem_of_the_file_and_progress_is_kept(world):
    code, text = cli(world, [])
    assert "tensors.first" in json.loads((world / "ws.torch-spec-progress.json").read_text())["passed"]
    with open(world / "ws" / "regression.py", "a") as f:
        f.write("\ndef broken(:\n    pass\n")
    code, text = cli(world, [])
    assert code == 1
    assert "✗ your file does not load, so no claim could be checked:" in text
    assert "your file is not valid Python" in text
    assert "✗ data.second" not in text and "claims ·" not in text.split("\n")[0]
    assert "(your progress is kept: exercises" in text and "facts checked along the way 1/2)" in text


def test_hint_asked_twice_shows_the_tutorials_code(world):
    code, first = cli(world, ["--hint"])
    code, second = cli(world, ["--hint"])
    assert "Hint: data_gen is not written yet" in first and "The tutorial's code for this" not in first
    assert "The tutorial's code for this (spec/tutorials):" in second and "def data_gen():" in second
    code, shown = cli(world, ["--show"])
    assert "def data_gen():" in shown


def test_a_changed_claim_shows_what_is_true_now_beside_its_check_mark(tmp_path):
    world_ = _changed_world(tmp_path)
    code, text = cli(world_, [], ws=wrong_workspace(world_, ""))
    assert "✓ params.old-behaviour (changed on this torch): Today a starts at 0.3367" in text
    assert "On old torch, a starts at 42." not in text.split("All ")[0]
