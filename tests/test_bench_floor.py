"""bench/floor.py runs on a small corpus and prints its ceiling line (no timing asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_floor_prints_every_step_and_the_ceiling() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "floor.py"), "--articles", "40", "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    lines = out.strip().splitlines()
    steps = {m[1]: float(m[2]) for m in re.finditer(r"^(\w+) +([\d.]+) ", out, re.M)}
    for step in ("read", "tree", "sanitize", "store", "floor", "baseline"):
        assert steps.get(step, 0) > 0, (step, out)
    # the floor is the sum of the steps shown above it
    shown = sum(v for k, v in steps.items() if k not in ("floor", "baseline"))
    assert abs(shown - steps["floor"]) < 0.2, out
    assert re.fullmatch(
        r"ceiling: \d+\.\dx the baseline at most \(floor \d+ µs/article vs baseline \d+\)",
        lines[-1],
    ), lines[-1]
