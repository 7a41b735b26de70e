"""Percentiles and rates of the benchmark table (pure, no timing)."""

from __future__ import annotations

import math

import pytest

from bench.stats import percentile, rate


def test_percentile_nearest_rank_is_an_observed_value() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile(values, 0) == 1.0


def test_percentile_ignores_input_order() -> None:
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0


def test_p99_of_few_samples_is_the_maximum() -> None:
    assert percentile([0.010, 0.020, 0.500], 99) == 0.500


def test_percentile_of_nothing_is_nan() -> None:
    assert math.isnan(percentile([], 99))


def test_percentile_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match=r"0\.\.100"):
        percentile([1.0], 101)


def test_rate() -> None:
    assert rate(1000, 2.0) == 500.0
    assert rate(0, 2.0) == 0.0
    assert rate(10, 0.0) == 0.0
