"""python -m spec learn: teaching by failing tests.

  python -m spec learn --init DIR        write a workspace: the tutorials' code as TODO stubs
  python -m spec learn --init DIR --notebook [--solved]   the same as Jupyter notebooks (check cells)
  python -m spec learn DIR               walk the claims in catalog order against your code in DIR;
                                         stop at the first claim that fails and explain it
  python -m spec learn DIR --watch       the same, again every time a file in DIR is saved
  python -m spec learn                   walk the claims against the reference code (spec/tutorials)
  options: --hint (the hint; again: the tutorial's code)  --show  --list (the path with ✓ ✗ · marks)
           --tutorial ID  --from CLAIM  --timeout S  --devices cpu,cuda
           --stub TUTORIAL[.NAME] (print stubs to paste into an older workspace)

Claims whose tests use tutorial code run against DIR/<tutorial id>.py; claims about torch itself run
as usual. A claim unchecked on this machine (no CUDA, missing optional package) is shown and skipped
over, never counted as passed. Your code runs in a child process with a time limit per claim;
Ctrl-C stops the walk ("interrupted at <claim>", exit 130). Progress is kept in DIR's sibling file DIR.torch-spec-progress.json,
never in your files.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Optional, Sequence

from spec.learn.lesson import learn_once
from spec.learn.state import state_path
from spec.learn.watcher import watch

# --- command line ----------------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    """Usage errors in one line (exit 2), naming --help instead of printing the usage block."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def parse(argv: Sequence[str]) -> argparse.Namespace:
    p = _Parser(prog="python -m spec learn", description=__doc__.split("\n\n")[0],
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("workspace", nargs="?", metavar="DIR",
                   help="your workspace (from --init); without it, the reference code is walked")
    p.add_argument("--init", metavar="DIR", help="write a new workspace of TODO stubs into DIR")
    p.add_argument("--notebook", action="store_true",
                   help="with --init: write one Jupyter notebook per tutorial instead (needs the [notebook] extra)")
    p.add_argument("--solved", action="store_true",
                   help="with --init DIR --notebook: the tutorial's code filled in (for teachers)")
    p.add_argument("--hint", action="store_true",
                   help="show the hint of the failing claim (asked again: the tutorial's code too)")
    p.add_argument("--show", action="store_true", help="show the hint and the tutorial's code")
    p.add_argument("--timeout", type=float, metavar="S",
                   help="time limit per claim in seconds (default: 10x the reference's time, at least 5)")
    p.add_argument("--list", action="store_true", help="show the whole path with ✓ ✗ · marks")
    p.add_argument("--tutorial", metavar="ID", help="walk only this tutorial's claims")
    p.add_argument("--from", dest="start", metavar="CLAIM", help="start the path at this claim")
    p.add_argument("--watch", action="store_true", help="re-run when a file in DIR is saved")
    p.add_argument("--devices", default="auto", help="as for pytest: auto (default), cpu, cpu,cuda")
    p.add_argument("--stub", metavar="TUTORIAL[.NAME]",
                   help="print the stub of one tutorial module (or one function/class of it)")
    args = p.parse_args(list(argv))
    if (args.notebook or args.solved) and not args.init or args.solved and not args.notebook:
        p.error("--notebook and --solved go with --init DIR: --init DIR --notebook [--solved]")
    if args.timeout is not None and args.timeout <= 0:
        p.error(f"--timeout {args.timeout:g}: give a positive number of seconds")
    args.paths, args.extra = ["tests/claims"], []  # the test paths walked, more pytest options (meta tests)
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:  # `python -m spec learn DIR --list | head`
        sys.stdout = open(os.devnull, "w")
        return 0
    except KeyboardInterrupt:  # before or after a walk (during one, the worker reports where)
        print("\ninterrupted: nothing more was checked or counted", file=sys.stderr)
        return 130


def _main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    from spec.catalog import CatalogError, load_catalog
    from spec.learn.stubs import reference_modules, stub_of, stub_source, write_workspace
    try:
        catalog = load_catalog()
    except CatalogError as exc:
        print(f"torch-spec learn: {exc}", file=sys.stderr)
        return 2
    if args.tutorial and args.tutorial not in {t.id for t in catalog.tutorials}:
        print(f"torch-spec learn: --tutorial {args.tutorial}: no such tutorial "
              f"(choose from {', '.join(t.id for t in catalog.tutorials)})", file=sys.stderr)
        return 2
    if args.init and args.notebook:
        from spec.learn.notebook_write import init_notebooks
        return init_notebooks(args, catalog)
    if args.init:
        titles = {t.id: (t.title, t.seeds) for t in catalog.tutorials}
        try:
            written = write_workspace(Path(args.init), titles)
        except FileExistsError as exc:
            print(f"torch-spec learn: {exc}", file=sys.stderr)
            return 2
        from spec.learn.stubs import exercises
        n = len([e for e in exercises() if e.kind != "method"])
        print(f"wrote {len(written)} files with {n} exercises into {args.init}:")
        for p in written:
            print(f"  {p}")
        print(f"progress will be kept in {state_path(Path(args.init))}")
        print(f"next: python -m spec learn {args.init}   (or add --watch, and edit the files)")
        return 0
    if args.stub:
        tutorial, _, name = args.stub.partition(".")
        refs = reference_modules()
        if tutorial not in refs:
            print(f"torch-spec learn: --stub {args.stub}: no tutorial module '{tutorial}' "
                  f"(choose from {', '.join(refs)})", file=sys.stderr)
            return 2
        try:
            print(stub_of(tutorial, name) if name else
                  stub_source(refs[tutorial].read_text(encoding="utf-8"), tutorial)[0], end="")
        except KeyError as exc:
            print(f"torch-spec learn: {exc.args[0]}", file=sys.stderr)
            return 2
        return 0
    if args.workspace and not Path(args.workspace).is_dir():
        print(f"torch-spec learn: {args.workspace} is not a directory; create a workspace with "
              f"`python -m spec learn --init {args.workspace}`", file=sys.stderr)
        return 2
    try:
        from spec.learn.state import path_of
        path_of(catalog, args.tutorial, args.start)
    except SystemExit as exc:  # --from an unknown claim: a usage error
        print(exc, file=sys.stderr)
        return 2
    from spec.learn.notebook_write import is_notebook_workspace, notebook_workspace
    if args.workspace and is_notebook_workspace(Path(args.workspace)):
        return notebook_workspace(args, catalog)
    if args.watch:
        if not args.workspace:
            print("torch-spec learn: --watch needs your workspace DIR", file=sys.stderr)
            return 2
        return watch(args, catalog)
    if not args.workspace:
        print("(no workspace given: walking the reference code in spec/tutorials; "
              "start your own with `python -m spec learn --init DIR`)")
    return learn_once(args, catalog)


if __name__ == "__main__":
    sys.exit(main())
