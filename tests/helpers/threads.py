"""Thread count for tests whose tensors are tiny."""
import pytest
import torch


@pytest.fixture
def one_thread():
    """Tensors of a few elements: extra intra-op threads only add overhead (4x on a busy 2-core machine).
    Use with `pytestmark = pytest.mark.usefixtures("one_thread")`; the plugin's autouse fixture restores
    the thread count afterwards."""
    torch.set_num_threads(1)
