"""torch-spec: an executable specification of PyTorch as four beginner tutorials describe it."""
__version__ = "0.1.0"
