"""Calls in a fresh process: one that has imported torch (and the modules asked for) and run nothing else
of this session, so what it measures or loads depends on nothing that ran before it.

- `call("package.module:function", *args, label=...)` runs function(*args) there and returns its
  result (JSON values). An exception in the child is raised here as RuntimeError("<label> failed:" and
  the child's traceback).
- The process is forked from multiprocessing's forkserver, started once per process with torch
  preloaded. `start(preload)` starts it now: the hook in tests/conftest.py calls it once collection
  is done, so the server's own `import torch` (about 2 s) runs on another core while the first tests
  run, and the modules that hold the measurements are imported there once, not in every child.
- Where there is no forkserver, each call is a fresh interpreter (`python -m tests.helpers.fresh`).
"""
from __future__ import annotations

import importlib
import json
import multiprocessing
import os
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Iterable

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 600
MARK = "torch-spec-fresh:"

_SERVER = []  # the forkserver context once started, or None where there is none


def start(preload: Iterable[str] = ()) -> None:
    """Start the forkserver in the background (once per process) with torch and `preload` imported."""
    if _SERVER:
        return
    context = None
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["torch", __name__, *preload])
        from multiprocessing import forkserver
        forkserver.ensure_running()  # spawns the server and returns; the server imports while we go on
    _SERVER.append(context)


def _resolve(target: str):
    module, _, qualname = target.partition(":")
    found = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


def _run_and_send(target: str, args: list, connection) -> None:
    try:
        connection.send({"result": _resolve(target)(*args)})
    except BaseException:  # noqa: B902 - the parent raises it with the child's traceback
        connection.send({"error": traceback.format_exc()})


def call(target: str, *args, label: str = ""):
    """target(*args) (target: "module:qualname") in a fresh process; its result."""
    label = label or f"fresh process for {target}"
    start()
    context = _SERVER[0]
    if context is None:
        return _interpreter_call(target, list(args), label)
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_run_and_send, args=(target, list(args), send), daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(TIMEOUT_S):
            raise RuntimeError(f"{label} gave no answer in {TIMEOUT_S} s")
        answer = receive.recv()
    except EOFError:
        answer = {"error": f"the child died (exit code {child.join(5) or child.exitcode})"}
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receive.close()
    if "error" in answer:
        raise RuntimeError(f"{label} failed:\n{answer['error'].strip()[-3000:]}")
    return answer["result"]


def _interpreter_call(target: str, args: list, label: str):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    done = subprocess.run([sys.executable, "-m", __name__, json.dumps({"target": target, "args": args})],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    answer = next((line[len(MARK):] for line in reversed(done.stdout.splitlines()) if line.startswith(MARK)), None)
    if done.returncode != 0 or answer is None:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise RuntimeError(f"{label} failed:\nexit {done.returncode}\n{tail}")
    return json.loads(answer)


if __name__ == "__main__":
    request = json.loads(sys.argv[1])
    print(MARK + json.dumps(_resolve(request["target"])(*request["args"])), flush=True)
