"""What a benchmark hands `make bench`'s report: its figures, each beside the physical
reference measured in the same run, and latency samples for the chart.

A bench run with `--json FILE` writes them there; run alone it only prints, as before.
"""

from __future__ import annotations

import json
import operator
from dataclasses import asdict, dataclass, field
from pathlib import Path

_OPERATORS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    reference: str  # what was measured beside it, in the same run
    reference_value: float
    # "ratio >= 0.5" or "value < 120": what the figure is held to, if anything.
    target: str = ""

    @property
    def ratio(self) -> float | None:
        return self.value / self.reference_value if self.reference_value else None

    @property
    def met(self) -> bool | None:
        if not self.target:
            return None
        subject, op, bound = self.target.split()
        measured = self.ratio if subject == "ratio" else self.value
        return measured is not None and _OPERATORS[op](measured, float(bound))


@dataclass
class Results:
    bench: str
    figures: list[Figure] = field(default_factory=list)
    samples: dict[str, list[float]] = field(default_factory=dict)  # label -> ms
    notes: list[str] = field(default_factory=list)

    def add(self, *args: object, **kwargs: object) -> Figure:
        figure = Figure(*args, **kwargs)  # type: ignore[arg-type]
        self.figures.append(figure)
        return figure

    def write(self, path: str | None) -> None:
        if not path:
            return
        data = asdict(self)
        for row, figure in zip(data["figures"], self.figures, strict=True):
            row |= {"ratio": figure.ratio, "met": figure.met}
        Path(path).write_text(json.dumps(data, indent=1))


def ms(seconds: list[float]) -> list[float]:
    return [round(value * 1000, 3) for value in seconds]
