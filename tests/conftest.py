"""Hooks for every test under tests/: the fresh-process server (tests/helpers/fresh.py) is started as
soon as collection is done when a selected test needs it, so that its `import torch` overlaps the first
tests instead of delaying the first measurement."""
from tests.helpers import fresh, memory

MEASURING = (memory, memory.measure, memory.start)


def _measures(module) -> bool:
    return any(value is m for value in vars(module).values() for m in MEASURING)


def _needs_fresh(module) -> bool:
    return _measures(module) or any(value is fresh for value in vars(module).values())


def pytest_collection_finish(session):
    if session.config.getoption("learner", None) or session.config.getoption("collectonly"):
        return  # learner mode: a walk stops at the first failure and seldom reaches these tests
    modules = {item.module for item in session.items if getattr(item, "module", None) is not None}
    users = [m for m in modules if _needs_fresh(m)]
    if users:
        # the modules whose setups the memory children run are imported once, in the server
        fresh.start(sorted(m.__name__ for m in users if _measures(m)))
