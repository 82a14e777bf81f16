"""Extraction of code cells and their printed output from the three seed formats."""
import re

import pytest

from spec.catalog import load_catalog
from spec.replay.extract import detect_format, extract, non_python_blocks, tutorial_cells

MARKDOWN = '''## Loading
```python
import torch
print(torch.zeros(1))
# tensor([0.])
```
```octave
y = a + bx
```
- a list item
    ```python
    a = 1
    b = 2
    ```
'''
NOTEBOOK = '''---
layout: post
title: T
---
# Data

```python
a = 1
```


```python
print("x")
a
```

    x





    1



![png](/images/x.png)
'''
IN_OUT = '''Intro text.

In [6]:

```
import torch
```

Out[6]:

More text.
'''


def _cells(tmp_path, text):
    seed = tmp_path / "seed.txt"
    seed.write_text(text)
    return extract(seed)


def test_markdown_fences_with_output_comments(tmp_path):
    first, second = _cells(tmp_path, MARKDOWN)
    assert (first.section, first.fmt, first.printed) == ("Loading", "markdown", "tensor([0.])")
    assert first.source == "import torch\nprint(torch.zeros(1))\n"
    assert (second.source, second.printed) == ("a = 1\nb = 2\n", None), "fence indentation is Markdown's"
    seed = tmp_path / "seed.txt"
    assert non_python_blocks(seed) == 1


def test_notebook_export_outputs_and_empty_outputs(tmp_path):
    first, second = _cells(tmp_path, NOTEBOOK)
    assert detect_format(NOTEBOOK) == "notebook"
    assert (first.source, first.printed) == ("a = 1\n", ""), "no output block: the cell printed nothing"
    assert second.printed == "x\n\n\n\n\n\n1", "stream, then the value; the image is not output"


def test_in_out_cells_show_no_output(tmp_path):
    (cell,) = _cells(tmp_path, IN_OUT)
    assert (cell.fmt, cell.section, cell.source, cell.printed) == ("in-out", "In [6]", "import torch\n", None)


def test_at_least_90_percent_of_the_seeds_code_blocks_are_cells(seeds):
    blocks = cells = 0
    for tutorial in load_catalog().tutorials:
        for name in tutorial.seeds:
            blocks += len(re.findall(r"^\s*```\w*\s*$", (seeds / name).read_text(), re.M)) // 2
        cells += len(tutorial_cells(seeds, tutorial.seeds))
    assert (blocks, cells) == (108, 107), "107 cells; the one other block is seed 000's formula (octave)"
    assert cells >= 0.9 * blocks
