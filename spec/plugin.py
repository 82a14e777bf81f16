"""The pytest plugin: catalog, claim marker, device axis, version expectations, isolation.

Registered as the ``pytest11`` entry point ``spec.plugin`` (pyproject.toml) and by the project's
conftest.py (``pytest_plugins = ["spec.plugin"]``): one name, so whichever comes first, the other finds it
registered. PYTEST_DONT_REWRITE (no assert here; in-process inner runs find it imported already).
"""
from __future__ import annotations

import importlib
import os
import random
from pathlib import Path
from typing import List, Optional

import numpy as np
import pytest
import torch

from spec import devices as devs
from spec.catalog import CLAIMS_DIR, CatalogError, load_catalog

SEEDS_ENV = "TORCH_SPEC_SEEDS"
CATALOG_KEY = pytest.StashKey()
DEVICES_KEY = pytest.StashKey()
CHANGED_KEY = pytest.StashKey()  # on an item whose claim is outside its `holds` range: that Claim
USAGE_OUTPUT = "torch_spec_usage_error"  # an xdist worker's usage error, raised by the controller


def pytest_addoption(parser):
    group = parser.getgroup("torch-spec", "torch-spec: tutorial claims")
    group.addoption("--devices", default="auto", metavar="LIST",
                    help="device types to run claims on: 'auto' (cpu + every accelerator; absent ones "
                         "reported unchecked) or a comma list such as 'cpu,cuda' (absent ones are an error)")
    group.addoption("--catalog", default=None, metavar="DIR",
                    help=f"directory of catalog *.toml files (default: {CLAIMS_DIR})")
    group.addoption("--seeds", default=None, metavar="DIR",
                    help=f"directory of the tutorial seed texts, for the quote lint (or ${SEEDS_ENV})")
    group.addoption("--claims-report", default=None, metavar="FILE",
                    help="write the per-claim JSON report to FILE")
    group.addoption("--claims-table", nargs="?", const="changes", choices=("changes", "all"),
                    metavar="changes|all", help="print the claims by tutorial and section: 'changes' (the "
                    "bare option) those that are not a plain 'holds'; 'all' every claim on every device")
    group.addoption("--learner", default=None, metavar="DIR",
                    help="learner mode: the `tutorial` fixture loads DIR/<tutorial id>.py (a workspace "
                         "from `python -m spec learn --init DIR`) instead of spec.tutorials.<id>")
    parser.addini("claim_paths", type="args", default=[],
                  help="test paths whose every test must carry @pytest.mark.claim")


def pytest_configure(config):
    config.addinivalue_line("markers", "claim(id): the catalog claim this test checks")
    try:
        config.stash[CATALOG_KEY] = load_catalog(Path(config.getoption("catalog") or CLAIMS_DIR))
        config.stash[DEVICES_KEY] = devs.select(config.getoption("devices"))
    except (CatalogError, devs.DeviceError) as exc:
        raise pytest.UsageError(str(exc)) from None
    _check_paths(config)
    from spec.report import ClaimsReport
    config.pluginmanager.register(ClaimsReport(config), "torch-spec-report")
    if config.getoption("learner"):
        from spec.learner import LearnerPlugin
        config.pluginmanager.register(LearnerPlugin(config), "torch-spec-learner")


def _check_paths(config) -> None:
    """Mistakes in the paths given on the command line, found before anything runs."""
    learner = config.getoption("learner")
    if learner and not Path(learner).is_dir():
        raise pytest.UsageError(f"--learner {learner}: not a directory; create a workspace with "
                                f"`python -m spec learn --init {learner}`")
    report = config.getoption("claims_report")
    if report and not hasattr(config, "workerinput"):
        problem = _unwritable(Path(report))
        if problem:
            raise pytest.UsageError(f"--claims-report {report}: {problem}")


def _unwritable(path: Path) -> str:
    """Why the report cannot be written at `path` ('' when it can); writes nothing that stays."""
    import tempfile
    if path.is_dir():
        return "is a directory (give a file name, e.g. out.json)"
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"{parent} is not a directory"
    try:
        tempfile.TemporaryFile(dir=parent).close()
    except OSError as exc:
        return f"cannot write in {parent} ({exc.strerror or exc})"
    if path.exists() and not os.access(path, os.W_OK):
        return "the file is not writable"
    return ""


def catalog_of(config):
    return config.stash[CATALOG_KEY]


def seeds_dir(config) -> Optional[Path]:
    value = config.getoption("seeds") or os.environ.get(SEEDS_ENV)
    return Path(value) if value else None


def _claim_named(config, marker):
    """The Claim a @pytest.mark.claim marker names, or None (no marker, unknown id)."""
    if marker is None or len(marker.args) != 1:
        return None
    return catalog_of(config).claims.get(marker.args[0])


def claim_of(item):
    """The Claim named by the item's @pytest.mark.claim, or None."""
    return _claim_named(item.config, item.get_closest_marker("claim"))


def pytest_generate_tests(metafunc):
    if "device" not in metafunc.fixturenames:
        return
    selected = metafunc.config.stash[DEVICES_KEY]
    claim = _claim_named(metafunc.config, metafunc.definition.get_closest_marker("claim"))
    # a device-generic claim runs on the selected devices (with 'auto', absent ones show as unchecked);
    # a device-only claim is always listed on its devices, so it is never silently missing
    wanted = list(claim.devices) if claim and claim.devices else [*selected.run, *selected.unavailable]
    params = []
    for d in wanted:
        if d in selected.run:
            params.append(pytest.param(d, id=d))
        elif d in selected.unavailable:
            params.append(pytest.param(d, id=d, marks=pytest.mark.skip(
                reason=f"unchecked: {selected.unavailable[d]}")))
        else:
            params.append(pytest.param(d, id=d, marks=pytest.mark.skip(
                reason=f"unchecked: {d} not selected (--devices {metafunc.config.getoption('devices')})")))
    metafunc.parametrize("device", params)


def _in_claim_paths(item) -> bool:
    root = Path(str(item.config.rootpath))
    path = Path(str(item.path))
    for p in item.config.getini("claim_paths"):
        try:
            path.relative_to(root / p)
            return True
        except ValueError:
            continue
    return False


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session, config, items):
    catalog = catalog_of(config)
    torch_version = torch.__version__
    problems: List[str] = []
    for item in items:
        marker = item.get_closest_marker("claim")
        if marker is None:
            if _in_claim_paths(item):
                problems.append(f"{item.nodeid}: no @pytest.mark.claim(...) (every test here checks a claim)")
            continue
        if len(marker.args) != 1 or marker.args[0] not in catalog.claims:
            problems.append(f"{item.nodeid}: unknown claim id {marker.args[0] if marker.args else None!r} "
                            f"(not in the catalog)")
            continue
        claim = catalog.claims[marker.args[0]]
        device = item.callspec.params.get("device") if hasattr(item, "callspec") else None
        item.extra_keyword_matches.update((claim.id, claim.tutorial))  # so `-k` selects by claim/tutorial
        item.user_properties.append(("claim", claim.id))
        item.user_properties.append(("device", device or "any"))
        if not claim.holds_on(torch_version):
            item.stash[CHANGED_KEY] = claim
            item.add_marker(pytest.mark.xfail(
                strict=True, raises=_recorded_failure(claim),
                reason=f"changed (holds {claim.holds}, torch {torch_version}): {claim.otherwise}"))
    if problems:
        message = "claim marker errors:\n  " + "\n  ".join(problems)
        if hasattr(config, "workerinput"):  # an xdist worker: the controller raises it (pytest_testnodedown)
            config.workeroutput[USAGE_OUTPUT] = message
            items[:] = []
            return
        raise pytest.UsageError(message)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """xdist controller: a worker's usage error is the same one-line error as in a serial run."""
    message = getattr(node, "workeroutput", {}).get(USAGE_OUTPUT)
    if message:
        raise pytest.UsageError(message)


class _RecordedFailure(type):
    """xfail(raises=...) takes exception classes and asks isinstance(): a class of this metaclass
    answers with the claim's `fails` record (type by name along the MRO, message by re.search)."""

    def __instancecheck__(cls, exc) -> bool:
        return cls.fails.matches(exc)


def _recorded_failure(claim):
    return _RecordedFailure("RecordedFailure", (Exception,), {"fails": claim.fails})


def _first_line(text: str, width: int = 80) -> str:
    line = (text.strip().splitlines() or [""])[0]
    return line if len(line) <= width else line[:width - 3] + "..."


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Outside `holds`, a failure that is not the recorded one (and a pass) is a failed report; this
    says so in words, naming what happened and what was recorded."""
    outcome = yield
    report = outcome.get_result()
    claim = item.stash.get(CHANGED_KEY, None)
    if claim is None or not report.failed or item.config.option.runxfail:
        return
    where = f"outside holds {claim.holds} on torch {torch.__version__}"
    if call.excinfo is None:
        if call.when == "call":  # strict XPASS
            report.longrepr = (f"[XPASS(strict)] passed {where}, where it is recorded to fail with {claim.fails}: "
                               f"the old behaviour is back, or the test no longer checks it ({claim.otherwise})")
        return
    exc = call.excinfo.value
    note = (f"not the recorded failure: got {type(exc).__name__}: {_first_line(str(exc))}; "
            f"recorded {claim.fails} ({where})")
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None and isinstance(getattr(crash, "message", None), str):
        crash.message = f"{note}\n{crash.message}"
    report.sections.append(("torch-spec", note))


def pytest_report_header(config):
    sel = config.stash[DEVICES_KEY]
    unavailable = ", ".join(f"{d} unchecked ({why})" for d, why in sel.unavailable.items())
    seeds = seeds_dir(config)
    return [
        f"torch-spec: torch {torch.__version__}, numpy {np.__version__}, "
        f"{len(catalog_of(config).claims)} claims",
        f"torch-spec: devices run: {', '.join(sel.run)}" + (f"; {unavailable}" if unavailable else ""),
        f"torch-spec: seeds for the quote lint: {seeds if seeds else 'none given (quotes not checked)'}",
    ]


# --- fixtures -------------------------------------------------------------------------------------

@pytest.fixture
def device(request) -> str:
    """The device type under test ('cpu' or 'cuda'); parametrized by the plugin from --devices."""
    return request.param


@pytest.fixture
def claim(request):
    """The catalog Claim of the requesting test."""
    found = claim_of(request.node)
    if found is None:
        raise pytest.UsageError(f"{request.node.nodeid}: the 'claim' fixture needs @pytest.mark.claim")
    return found


@pytest.fixture
def tutorial(request, claim):
    """The tutorial's code the test exercises: spec.tutorials.<tutorial id>, or under --learner DIR
    the learner's DIR/<tutorial id>.py (see spec/learner.py)."""
    if request.config.getoption("learner"):
        from spec.learner import learner_module
        return learner_module(request.config, claim.tutorial)
    return importlib.import_module(f"spec.tutorials.{claim.tutorial}")


def _global_state():
    state = {
        "torch_rng": torch.random.get_rng_state(),
        "np_rng": np.random.get_state(),
        "py_rng": random.getstate(),
        "dtype": torch.get_default_dtype(),
        "grad": torch.is_grad_enabled(),
        "anomaly": torch.is_anomaly_enabled(),
        "warn_always": torch.is_warn_always_enabled(),
        "deterministic": torch.are_deterministic_algorithms_enabled(),
        "deterministic_warn_only": torch.is_deterministic_algorithms_warn_only_enabled(),
        "cudnn": (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark),
        "threads": torch.get_num_threads(),
        "overwrite_params": torch.__future__.get_overwrite_module_params_on_conversion(),
    }
    if hasattr(torch.__future__, "get_swap_module_params_on_conversion"):  # torch >= 2.3
        state["swap_params"] = torch.__future__.get_swap_module_params_on_conversion()
    if hasattr(torch, "get_default_device"):  # torch >= 2.3
        state["default_device"] = torch.get_default_device()
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda_rng"] = torch.cuda.get_rng_state_all()
    return state


def _restore(state):
    torch.random.set_rng_state(state["torch_rng"])
    np.random.set_state(state["np_rng"])
    random.setstate(state["py_rng"])
    torch.set_default_dtype(state["dtype"])
    torch.set_grad_enabled(state["grad"])
    torch.set_anomaly_enabled(state["anomaly"])
    torch.set_warn_always(state["warn_always"])
    if (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled()) \
            != (state["deterministic"], state["deterministic_warn_only"]):
        # only when changed: the call imports torch._inductor (and sympy), ~5 s the first time
        torch.use_deterministic_algorithms(state["deterministic"], warn_only=state["deterministic_warn_only"])
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = state["cudnn"]
    if torch.get_num_threads() != state["threads"]:
        torch.set_num_threads(state["threads"])
    torch.__future__.set_overwrite_module_params_on_conversion(state["overwrite_params"])
    if "swap_params" in state:
        torch.__future__.set_swap_module_params_on_conversion(state["swap_params"])
    if "default_device" in state and torch.get_default_device() != state["default_device"]:
        # only when changed, and cpu as None: set_default_device(cpu) installs a DeviceContext mode
        # that sends every later torch call through Python (__torch_function__), tests 2-3x slower
        default = state["default_device"]
        torch.set_default_device(None if default == torch.device("cpu") else default)
    if "cuda_rng" in state:
        torch.cuda.set_rng_state_all(state["cuda_rng"])


@pytest.fixture(autouse=True)
def _isolate_torch_state():
    """Restore every global torch/numpy/random setting a test may touch (seeds, default dtype,
    grad mode, anomaly, warn-always and deterministic flags, threads, __future__ flags, default device)."""
    state = _global_state()
    yield
    _restore(state)
