"""The benchmarks' regression alarm (benchmarks/_gate.py): what it lets through."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

spec = importlib.util.spec_from_file_location(
    "gate", Path(__file__).parent.parent / "benchmarks" / "_gate.py"
)
assert spec is not None and spec.loader is not None
gate: Any = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gate)


def test_the_alarm_rings_past_half_a_goal_and_only_then() -> None:
    goals = {"up": [">=", 8], "down": ["<=", 1.5], "nested.x": ["==", True]}
    fine = {"up": 4.0, "down": 3.0, "nested": {"x": True}, "goals": goals}
    assert gate.alarms(fine) == []  # exactly half is still no alarm
    bad = {"up": 3.9, "down": 3.1, "nested": {"x": False}, "goals": goals}
    assert [line.split(" ")[0] for line in gate.alarms(bad)] == ["up", "down", "nested.x"]
    missing = {"up": None, "down": 1.0, "goals": goals}
    assert [line.split(" ")[0] for line in gate.alarms(missing)] == ["up", "nested.x:"]


def test_every_benchmark_names_its_gated_figures() -> None:
    for script in sorted(Path(gate.HERE).glob("*.py")):
        if not script.stem.startswith("_"):
            assert '"goals"' in script.read_text(), script.name
