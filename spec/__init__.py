"""torch-spec: an executable specification of PyTorch as three beginner tutorials (four texts) describe it.

PYTEST_DONT_REWRITE: no assert here needs pytest's rewriting, and `python -m spec` imports this package
before pytest loads the plugin entry point (pytest would warn that it cannot rewrite it).
"""
__version__ = "0.1.0"
