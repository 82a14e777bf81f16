"""The version matrix: `python -m spec matrix` (see spec/matrix/cli.py for the command line).

Its parts:
  envs.py        one venv per torch version, built by uv from its cache (pip's config told to uv by
                 pipconf.py), a completion marker, one lock per cache
  run.py         running the suite in one venv, and the matrix run over versions (stream.py: logs)
  reports.py     reading claims reports and merging them into columns, rows and changes
  markdown.py    matrix.md and the terminal summary; page.py + templates/matrix.html.j2: matrix.html
  boundaries.py  every `holds` boundary checked on the releases around it (releases.py: the list)
  bisect.py      the first release where a claim's status changes (probe.py runs a few claims)
  timing.py      building one venv with pip and with uv, cold and cached
  cli.py         the command line
"""
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    from spec.matrix.cli import main as cli_main
    return cli_main(argv)
