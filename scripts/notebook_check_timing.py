"""Time every check cell of a learner notebook in a real kernel (nbclient records busy -> idle).

    python -m spec learn --init /tmp/nb --notebook [--solved]
    python scripts/notebook_check_timing.py /tmp/nb/regression.ipynb /tmp/nb /tmp/nb/regression.run.ipynb [TIMEOUT]

Prints each code cell's seconds and last output line, then the check cells' median, max and how many
took <= 1 s. A measurement script, not a test (the [notebook] extra).
"""
import sys, time, datetime, nbformat, re
from nbclient import NotebookClient
src, path, out = sys.argv[1:4]
nb = nbformat.read(src, 4)
if len(sys.argv) > 4:
    nb.cells[1].source = nb.cells[1].source.replace('")', f'", timeout={sys.argv[4]})', 1)
c = NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": path}}, record_timing=True)
t = time.time(); c.execute(); print("total", round(time.time() - t, 1))
nbformat.write(nb, out)
def dur(cell):
    e = cell.metadata.get("execution", {})
    a, b = e.get("iopub.status.busy"), e.get("iopub.status.idle")
    f = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
    return (f(b) - f(a)).total_seconds() if a and b else None
times = []
for cell in nb.cells:
    if cell.cell_type == "code":
        d = dur(cell)
        txt = "".join(o.get("text") or o.get("data", {}).get("text/plain", "") for o in cell.outputs)
        first = txt.strip().splitlines()[-1][:90] if txt.strip() else ""
        if cell.source.startswith("check("):
            times.append(d)
        print(f"{d:6.2f}  {cell.source.splitlines()[0][:40]:40s} {first}")
times.sort()
print("check cells:", len(times), "median", times[len(times)//2], "max", times[-1], "<=1s:", sum(t <= 1 for t in times))
