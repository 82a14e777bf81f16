"""The cells files (spec/claims/cells/<tutorial>.toml): loading, the code the replay runs, the lint."""
import re

import pytest

from spec.catalog import load_catalog
from spec.replay.cells import CellEntry, CellsError, lint, load_cells, transform


def _write(tmp_path, text, name="regression"):
    (tmp_path / f"{name}.toml").write_text(text)
    return tmp_path


@pytest.mark.parametrize("text, message", [
    ('tutorial = "regression"\n[[cell]]\ncell = 1\n', "needs 'cell' (an index) and 'first'"),
    ('tutorial = "regression"\n[[cell]]\ncell = 1\nfirst = "x"\nneeds = "gpu"\n', "needs = 'gpu'; one of cuda"),
    ('tutorial = "regression"\n[[cell]]\ncell = 1\nfirst = "x"\nexplains = ["a.b"]\n', "'got' must give one pattern"),
    ('tutorial = "regression"\n[[cell]]\ncell = 1\nfirst = "x"\nexplains = ["a.b"]\ngot = { "a.b" = "(" }\n',
     "not a regular expression"),
    ('tutorial = "regression"\n[[cell]]\ncell = 1\nfirst = "x"\nrules = ["hex"]\n', "known: address, tail"),
    ('tutorial = "regression"\n[[cell]]\ncell = 1\nfirst = "x"\nexpect = 1\n', "unknown field(s) expect"),
    ('tutorial = "intro"\n', "expected tutorial = 'regression'"),
])
def test_a_malformed_cells_file_is_an_error_naming_the_entry(tmp_path, text, message):
    with pytest.raises(CellsError, match=re.escape(message)):
        load_cells("regression", _write(tmp_path, text))


def test_a_fragment_loses_its_scripts_indentation_and_its_elisions():
    fragment = CellEntry(cell=0, first="", fragment=True)
    assert transform("from torchviz import make_dot\n...\n\n    make_dot(yhat)\n", fragment) == \
        "from torchviz import make_dot\n\nmake_dot(yhat)\n"
    assert transform("    for i in x:\n        f(i)\n\n# out\n", fragment) == "for i in x:\n    f(i)\n\n# out\n"
    assert transform("    a = 1\n", None) == "    a = 1\n", "only fragments are dedented"
    assert transform("%matplotlib inline\nimport x\n", None) == "import x\n"


def test_the_cells_files_lint_clean_against_the_seeds(seeds):
    assert lint(load_catalog(), seeds) == []


def test_the_lint_finds_wrong_cells_claims_and_cells_without_a_verdict_path(seeds, tmp_path):
    _write(tmp_path, '''tutorial = "intro"
[[cell]]
cell = 0
first = "import numpy"
[[cell]]
cell = 5
first = "x = torch.LongTensor(4, 6).random_(10) # [4,6]"
explains = ["tensors.three-ways-to-add"]
got = { "tensors.three-ways-to-add" = "." }
[[cell]]
cell = 99
first = "x"
claims = ["no.such-claim"]
''', name="intro")
    problems = lint(load_catalog(), seeds, tmp_path)
    assert "cells/intro.toml: cell 0: first line is '# Import PyTorch and other libraries', not 'import numpy'" in problems
    assert ("cells/intro.toml: cell 5: tensors.three-ways-to-add explains nothing (neither erratum nor "
            "version-ranged)") in problems
    assert "cells/intro.toml: cell 99: the seeds have 18 cells" in problems
    assert any(p.startswith("intro cell 14 ('import torch.nn.functional as F'): does not compile") for p in problems)
