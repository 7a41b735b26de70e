"""Issue 21: the paced phase and the admission's background run at half the burst rate
measured in the same run, so the targets are ratios a slow host does not decide."""

from __future__ import annotations

from types import SimpleNamespace

from bench.pipeline import SIZING_RATE, background_rate, encounters_for


def test_background_is_half_the_measured_burst() -> None:
    assert background_rate(None, 2_400.0) == 1_200.0


def test_a_given_rate_wins_over_the_burst() -> None:
    assert background_rate(300.0, 2_400.0) == 300.0


def test_without_a_burst_the_sizing_rate_is_offered() -> None:
    assert background_rate(None, None) == SIZING_RATE


def test_the_burst_is_sized_at_the_sizing_rate_when_no_rate_is_given() -> None:
    assert encounters_for(SimpleNamespace(rate=None, duration=10.0)) == SIZING_RATE * 10 / 5
    assert encounters_for(SimpleNamespace(rate=500.0, duration=10.0)) == 1_000
