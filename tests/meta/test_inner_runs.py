"""In-process inner runs (pytester) keep the library modules they import: a module executed twice
breaks torch ("Only a single TORCH_LIBRARY can be used to register the namespace _inductor_test"),
so which test first imports part of torch must not matter (random order, pytest-randomly)."""
import importlib
import sys
import uuid

from .conftest import claim_toml

INNER = '''
import importlib, os


def test_imports_the_library():
    importlib.import_module(os.environ["LIBRARY_MODULE"])
'''


def test_a_library_module_first_imported_in_an_inner_run_is_executed_once(pytester, tmp_path_factory,
                                                                          monkeypatch):
    # a module outside the throw-away project that counts its executions, as torch's libraries do
    # (their TORCH_LIBRARY registration may run once per process); outside pytest's basetemp like
    # site-packages
    import tempfile
    library = tempfile.mkdtemp(prefix="torch-spec-library-")
    name = f"library_{uuid.uuid4().hex}"
    runs = f"{library}/{name}.runs"
    with open(f"{library}/{name}.py", "w") as f:
        f.write(f"with open({runs!r}, 'a') as f:\n    f.write('executed\\n')\n")
    monkeypatch.syspath_prepend(library)
    monkeypatch.setenv("LIBRARY_MODULE", name)
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest_inprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert name in sys.modules            # kept by the inner run's snapshot
    importlib.import_module(name)         # the outer session imports it again: same module
    pytester.runpytest_inprocess("-p", "no:randomly", "-p", "no:cacheprovider").assert_outcomes(passed=1)
    with open(runs) as f:
        assert f.read() == "executed\n"


def test_the_throwaway_projects_own_modules_are_still_dropped(pytester):
    pytester.makepyfile(test_inner="def test_one():\n    pass\n")
    pytester.runpytest_inprocess("-p", "no:randomly", "-p", "no:cacheprovider").assert_outcomes(passed=1)
    assert "test_inner" not in sys.modules
    # and a second project reusing the module name imports its own file
    pytester.makepyfile(test_inner="def test_two():\n    pass\n\ndef test_three():\n    pass\n")
    pytester.runpytest_inprocess("-p", "no:randomly", "-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_no_default_device_context_is_left_after_a_test(mini):
    """The isolation fixture restores the default device without installing a DeviceContext (which
    would send every later torch call through Python), and restores a changed one."""
    import torch
    if not hasattr(torch, "get_default_device"):  # torch < 2.3: no default device to restore
        return
    mini.write_catalog(claim_toml("t.one"))
    mini.write_tests('''
        import pytest, torch
        from torch.overrides import _get_current_function_mode_stack as modes
        @pytest.mark.claim("t.one")
        def test_a_sets_meta():
            torch.set_default_device("meta")
        @pytest.mark.claim("t.one")
        def test_b_sees_cpu_and_no_mode():
            assert torch.get_default_device() == torch.device("cpu")
            assert torch.ones(1).device.type == "cpu"
            assert not [m for m in modes() if type(m).__name__ == "DeviceContext"]
    ''')
    assert mini.run("-p", "no:randomly").ret == 0
