"""Calls in a fresh process: one that has imported torch (and the modules asked for) and run nothing else
of this session, so what it measures or loads depends on nothing that ran before it.

- `call("package.module:function", *args, label=...)` runs function(*args) there and returns its
  result (JSON values); `submit(...)` starts the same call and returns at once, its `.result()` waits
  (calls submitted together run side by side, each in a process of its own). An exception in the
  child is raised here as RuntimeError("<label> failed:" and the child's traceback).
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


class Call:
    """A call under way in a fresh process (see submit); result() waits for it and returns its result."""

    def __init__(self, target: str, args: list, label: str):
        self.label, self._answer = label, None
        context = _SERVER[0]
        self._forked = context is not None
        if context is None:  # no forkserver: a fresh interpreter
            env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
            self._process = subprocess.Popen([sys.executable, "-m", __name__, json.dumps({"target": target, "args": args})],
                                             cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            return
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_run_and_send, args=(target, args, send), daemon=True)
        self._process.start()
        send.close()

    def result(self):
        if self._answer is None:
            self._answer = self._wait_child() if self._forked else self._wait_interpreter()
        if "error" in self._answer:
            raise RuntimeError(f"{self.label} failed:\n{self._answer['error'].strip()[-3000:]}")
        return self._answer["result"]

    def _wait_child(self) -> dict:
        child, receive = self._process, self._receive
        try:
            if not receive.poll(TIMEOUT_S):
                return {"error": f"no answer in {TIMEOUT_S} s"}
            return receive.recv()
        except EOFError:
            return {"error": f"the child died (exit code {child.join(5) or child.exitcode})"}
        finally:
            if child.is_alive():
                child.kill()
            child.join()
            receive.close()

    def _wait_interpreter(self) -> dict:
        try:
            out, err = self._process.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.communicate()
            return {"error": f"no answer in {TIMEOUT_S} s"}
        answer = next((line[len(MARK):] for line in reversed(out.splitlines()) if line.startswith(MARK)), None)
        if self._process.returncode != 0 or answer is None:
            tail = "\n".join((err or out).strip().splitlines()[-15:])
            return {"error": f"exit {self._process.returncode}\n{tail}"}
        return {"result": json.loads(answer)}


def submit(target: str, *args, label: str = "") -> Call:
    """Start target(*args) (target: "module:qualname") in a fresh process now; call .result() for its
    result. Calls submitted together run side by side, each in its own process."""
    start()
    return Call(target, list(args), label or f"fresh process for {target}")


def call(target: str, *args, label: str = ""):
    """target(*args) (target: "module:qualname") in a fresh process; its result."""
    return submit(target, *args, label=label).result()


if __name__ == "__main__":
    request = json.loads(sys.argv[1])
    print(MARK + json.dumps(_resolve(request["target"])(*request["args"])), flush=True)
