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


def test_summary_joins_runs_by_target_and_says_whether_all_met() -> None:
    """Issue 21: the targets must hold in five runs in a row; one NO makes the row NO."""
    from bench.report import summary

    def run(p99: float, burst: float) -> list[Row]:
        return [Row("raw relay", 100_000.0, "msg/s"),
                Row(f"admission answer p99 under {burst / 2:,.0f} msg/s background", p99, "ms",
                    target="< 50 ms", met=p99 < 50),
                Row("pipeline burst", burst, "msg/s", limit=100_000.0, target=">= 2%",
                    met=burst >= 2_000)]

    lines = summary([run(30.0, 2_500.0), run(70.0, 2_100.0)]).splitlines()
    assert len(lines) == 4  # header, rule, two target rows (rows without a target left out)
    admission = next(line for line in lines if line.startswith("| admission answer p99 under "))
    assert "30.0 ms yes" in admission and "70.0 ms NO" in admission
    assert admission.rstrip(" |").endswith("NO")
    burst = next(line for line in lines if line.startswith("| pipeline burst"))
    assert "(2.5%) yes" in burst and "(2.1%) yes" in burst and burst.rstrip(" |").endswith("yes")
