"""Running a command for the matrix: every line to a log, the interesting ones echoed, a heartbeat
while it is quiet (a 2.5 GB download says nothing for a minute)."""
from __future__ import annotations

import queue
import subprocess
import threading
import time
from pathlib import Path
from typing import Callable, List, Optional

HEARTBEAT_S = 20.0
Echo = Callable[[str], None]


def stream(cmd: List[str], log: Path, echo: Echo, show: Callable[[str], Optional[str]],
           env: Optional[dict] = None, cwd: Optional[Path] = None, what: str = "") -> int:
    """Run cmd, every line to the log, the lines `show` picks to echo, a heartbeat while it is quiet."""
    log.parent.mkdir(parents=True, exist_ok=True)
    start = last = time.monotonic()
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(f"$ {' '.join(map(str, cmd))}\n")
        fh.flush()
        proc = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, errors="replace", env=env, cwd=cwd, bufsize=1)
        lines: "queue.Queue[Optional[str]]" = queue.Queue()
        reader = threading.Thread(target=lambda: ([lines.put(x) for x in proc.stdout], lines.put(None)),
                                  daemon=True)
        reader.start()
        try:
            while True:
                try:
                    line = lines.get(timeout=HEARTBEAT_S)
                except queue.Empty:
                    echo(f"    … {what} {time.monotonic() - start:.0f} s")
                    continue
                if line is None:
                    break
                fh.write(line)
                picked = show(line.rstrip("\n"))
                if picked:
                    echo(f"    {picked}")
                    last = time.monotonic()
                elif time.monotonic() - last > HEARTBEAT_S:
                    echo(f"    … {what} {time.monotonic() - start:.0f} s")
                    last = time.monotonic()
            return proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise


def log_lines(log: Path) -> List[str]:
    try:
        return [ln.strip() for ln in log.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
    except OSError:
        return []
