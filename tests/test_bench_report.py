"""The README's benchmark figures are the benches' JSON, rendered: a figure typed
by hand, or a bench re-run without `python bench/report.py`, fails here."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("bench_report", ROOT / "bench" / "report.py")
report = importlib.util.module_from_spec(spec)
spec.loader.exec_module(report)


def test_readme_benchmark_block_is_generated_from_the_json():
    text = report.README.read_text()
    assert report.splice(text, report.generated()) == text, "run: python bench/report.py"
    assert report.main(["--check"]) == 0


def test_a_hand_edited_figure_is_caught():
    text = report.README.read_text()
    block = report.generated()
    first_row = next(line for line in block.splitlines() if line.startswith("| ") and " s |" in line)
    tampered = text.replace(first_row, first_row.replace(" s |", "0 s |", 1), 1)
    assert tampered != text
    assert report.splice(tampered, report.generated()) != tampered
