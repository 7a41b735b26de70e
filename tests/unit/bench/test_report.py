"""The benchmark table: ratios to the limit of the same run, and how rows render."""

from __future__ import annotations

from bench.report import Row, render


def test_ratio_is_figure_over_limit() -> None:
    row = Row("replay", 25_000.0, "ev/s", limit=100_000.0, limit_name="raw consume")
    assert row.ratio == 0.25


def test_no_limit_no_ratio() -> None:
    assert Row("raw consume", 1.0, "msg/s").ratio is None
    assert Row("x", 1.0, "msg/s", limit=0.0).ratio is None


def test_render_shows_ratio_limit_and_verdict() -> None:
    text = render([
        Row("replay", 60_000.0, "ev/s", limit=100_000.0, limit_name="raw consume",
            target=">= 50% of raw consume", met=True),
        Row("admission p99", 80.0, "ms", target="< 50 ms", met=False),
    ])
    lines = text.splitlines()
    assert lines[0].startswith("| measurement")
    assert "60.0%" in lines[2] and "100,000 ev/s (raw consume)" in lines[2] and "yes" in lines[2]
    assert "NO" in lines[3] and lines[3].count("-") >= 2  # no limit, no ratio
    assert len({len(line) for line in lines}) == 1  # columns aligned


def test_render_of_no_rows_is_the_header() -> None:
    assert len(render([]).splitlines()) == 2
