"""Kept for spec/plugin.py's imports: the learner machinery lives in the package spec/learn/."""
from spec.learn.pytest_plugin import LearnerPlugin, learner_module  # noqa: F401
