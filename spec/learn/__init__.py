"""Learner mode: teaching by failing tests (`python -m spec learn`, `pytest --learner DIR`).

Modules, from the outside in:
  cli           the command line: `python -m spec learn [DIR] [--watch] [--hint] ...`
  watcher       --watch: run again on every save
  worker        runs a walk in a child process that can be stopped (time limit, Ctrl-C, a new save)
  walk          the walk itself: claims in catalog order under pytest, first failure stops it
  state         the path of claims and the progress file beside the workspace
  show          printing: the failing claim, progress, --list, the summary
  explanations  a failure in plain words (your lines, expected vs got, what your functions returned)
  recorder      what the learner's functions were called with and returned
  loader        loading DIR/<tutorial>.py as a module (syntax and import errors as file problems)
  pytest_plugin the pytest plugin registered under --learner
  stubs         the workspace: the tutorials' functions and classes as TODO stubs

Entry points: `main(argv)` (the command line) and `check(...)` (see spec.learn.api) for front-ends
that run one exercise's claims against code they hold (a notebook).
"""


def main(argv=None) -> int:
    from spec.learn.cli import main as _main
    return _main(argv)
