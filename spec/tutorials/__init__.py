"""The tutorials' own code, cleaned up and importable: one module per catalog tutorial id.

Tests reach this code only through the ``tutorial`` fixture, so a learner's module can be swapped in.
"""
