"""What a tutorial's loop prints, read back. The tutorials' loops print their losses rather than
return them, and so do the exercises written like them: the checks read the printed lines."""
import contextlib
import io
import re

NUMBER = r"([-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|nan|inf))"
IDX_LOSS = re.compile(rf"^(\d+) {NUMBER}$")  # intro: print(idx, loss.item())


def run_printing(fn, *args):
    """(what fn(*args) returned, the lines it printed)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = fn(*args)
    return result, out.getvalue().splitlines()


def idx_losses(loop, *args, name):
    """intro's In [20] / In [22] loop `name` run on args: the (idx, loss) pairs it prints every 50 epochs."""
    _, lines = run_printing(loop, *args)
    rows = [(int(m[1]), float(m[2])) for m in map(IDX_LOSS.match, lines) if m]
    assert rows, (f"{name} printed no 'idx loss' lines every 50 epochs: print(idx, loss.item()) (the tutorial's "
                  f"loss.data[0] raises IndexError since torch 1.0); it printed {lines[:2]}")
    return rows
