"""Months (months.py): the unit XM-22…26 count in; and the domain stays pure."""

from __future__ import annotations

import ast
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import services.benefits.domain as domain
from services.benefits.domain.months import Month, months_from

DAYS = st.dates(min_value=date(1950, 1, 1), max_value=date(2150, 12, 31))


@given(day=DAYS, k=st.integers(-2400, 2400))
def test_month_arithmetic_round_trips(day: date, k: int) -> None:
    m = Month.of(day)
    assert (m + k) - k == m and (m + k).index - m.index == k
    assert m.first_day <= day <= m.last_day
    assert Month.of(m.last_day + timedelta(days=1)) == m + 1
    assert Month.of(m.first_day - timedelta(days=1)) == m - 1


def test_month_boundaries_and_ranges() -> None:
    assert Month(2024, 12) + 1 == Month(2025, 1) and Month(2025, 1) - 1 == Month(2024, 12)
    assert Month(2024, 2).last_day == date(2024, 2, 29) and Month(2023, 2).last_day.day == 28
    assert months_from(Month(2024, 11), Month(2025, 2)) == [
        Month(2024, 11), Month(2024, 12), Month(2025, 1), Month(2025, 2)]
    assert months_from(Month(2025, 2), Month(2025, 1)) == []
    assert str(Month(2024, 3)) == "2024-03"
    with pytest.raises(ValueError):
        Month(2024, 13)


def test_the_domain_imports_only_contracts_itself_and_the_standard_library() -> None:
    """architecture.md "Benefits (issue 19)": pure, so later adapters can wrap it unchanged."""
    for path in Path(domain.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                top = name.split(".")[0]
                assert (top in sys.stdlib_module_names or top == "contracts"
                        or name.startswith("services.benefits.domain")), (path.name, name)
                assert not name.startswith("contracts.runtime"), (path.name, name)
