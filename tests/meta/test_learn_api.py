"""spec.learn.api.check: one exercise's claims against code held in a namespace (a notebook's)."""
import ast

from spec.learn.api import check
from spec.learn.stubs import TUTORIALS_DIR


def _namespace(source: str) -> dict:
    ns: dict = {}
    exec(compile(source, "<cell>", "exec"), ns)
    return ns


def _reference(name: str) -> str:
    ref = (TUTORIALS_DIR / "regression.py").read_text()
    node = next(n for n in ast.parse(ref).body if getattr(n, "name", None) == name)
    return "import numpy as np\n" + ast.get_source_segment(ref, node)


def test_a_namespace_that_defines_the_exercise_passes_its_claims():
    v = check("data_gen", _namespace(_reference("data_gen")))
    assert v.ok and v.failed is None and v.claims and v.passed == v.claims
    assert v.text.startswith(f"data_gen: {len(v.claims)}/{len(v.claims)} claims")
    assert "data.shapes" in v.passed and f"✓ {v.claims[-1]}" in v.text  # the last ones are named, earlier ones counted


def test_a_wrong_definition_fails_with_the_explained_block():
    v = check("data_gen", _namespace(
        "import numpy as np\ndef data_gen():\n    x = np.zeros((100, 1))\n    return x[:80], x[:80], x[80:], x[80:]\n"))
    assert not v.ok and v.failed == "data.linear-with-noise"
    assert "✗ data.linear-with-noise" in v.text and "should average about 0" in v.text
    assert "python -m spec learn" not in v.text


def test_an_unknown_exercise_says_so():
    v = check("no_such_exercise", {})
    assert not v.ok and "no tutorial has an exercise of that name" in v.text
