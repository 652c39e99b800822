"""The README's Python API example runs as written (so the documented API cannot drift)."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert blocks, "the README has no Python example"
    namespace: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)  # noqa: S102 - our own documentation
    assert namespace["out"].samples.shape == (64, 16, 16)
    assert namespace["chains"].positions.shape == (16, 1000, 8, 8)
