"""The code in the docs' front page runs as it is shown."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_front_page_example_runs(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "index.md").read_text()
    code = re.findall(r"```python\n(.*?)```", text, re.S)[0]
    script = tmp_path / "example.py"
    script.write_text(code)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 4 and all(line.endswith(" 21000") for line in lines[:3])
    assert lines[3].startswith("audit record baguqeera")


def test_the_testing_guide_property_runs_and_passes(tmp_path: Path) -> None:
    """docs/testing.md's property, run by pytest as a user's file would be."""
    text = (ROOT / "docs" / "testing.md").read_text()
    code = re.findall(r"```python\n(.*?)```", text, re.S)[0]
    script = tmp_path / "test_payroll_property.py"
    script.write_text(code)
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(script)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert "2 passed" in out.stdout
