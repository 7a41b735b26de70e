"""The benchmark table: each figure beside the limit measured in the same run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    name: str
    figure: float
    unit: str
    limit: float | None = None  # the physical limit it is compared with, same unit
    limit_name: str = ""
    target: str = ""  # the bar, in words, e.g. ">= 50% of raw consume"
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        return None if not self.limit else self.figure / self.limit


def render(rows: list[Row]) -> str:
    head = ("measurement", "figure", "limit (same run)", "ratio", "target", "met")
    body = []
    for r in rows:
        limit = f"{r.limit:,.0f} {r.unit} ({r.limit_name})" if r.limit else "-"
        ratio = f"{r.ratio * 100:.1f}%" if r.ratio is not None else "-"
        met = "-" if r.met is None else ("yes" if r.met else "NO")
        body.append((r.name, f"{r.figure:,.1f} {r.unit}", limit, ratio, r.target, met))
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=False)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
              for row in body]
    return "\n".join(lines)


def summary(runs: list[list[Row]]) -> str:
    """One column per run of every row that has a target: are they met in all runs?
    Rows are matched by name up to its first number (names carry the run's own rates and
    sizes; a word such as "p99" is kept)."""
    def key(name: str) -> str:
        words = name.split(" ")
        cut = next((i for i, w in enumerate(words) if w[:1].isdigit()), len(words))
        return " ".join(words[:cut]).strip()

    order: list[str] = []
    cells: dict[str, list[str]] = {}
    for n, rows in enumerate(runs):
        for r in rows:
            if r.met is None:
                continue
            k = key(r.name)
            if k not in cells:
                order.append(k)
                cells[k] = [""] * len(runs)
            ratio = f" ({r.ratio * 100:.1f}%)" if r.ratio is not None else ""
            mark = "yes" if r.met else "NO"
            cells[k][n] = f"{r.figure:,.1f} {r.unit}{ratio} {mark}"
    head = ["target row", *[f"run {i + 1}" for i in range(len(runs))], "all runs"]
    body = [[k, *cells[k], "yes" if all(c.endswith("yes") for c in cells[k]) else "NO"]
            for k in order]
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
              for row in body]
    return "\n".join(lines)
