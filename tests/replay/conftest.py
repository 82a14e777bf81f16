import os
from pathlib import Path

import pytest


@pytest.fixture
def seeds():
    """The seeds directory ($TORCH_SPEC_SEEDS); tests that need it read unchecked without it."""
    value = os.environ.get("TORCH_SPEC_SEEDS")
    if not value or not Path(value).is_dir():
        pytest.skip("unchecked: seeds not given (TORCH_SPEC_SEEDS)")
    return Path(value)
