"""Reference fits the claims compare against (computed independently of the code under test)."""
import numpy as np


def lstsq_line(x, y):
    """Closed-form least-squares intercept and slope (a, b) of y = a + b * x, as Python floats."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    design = np.stack([np.ones_like(x), x], axis=1)
    (a, b), *_ = np.linalg.lstsq(design, y, rcond=None)
    return float(a), float(b)
