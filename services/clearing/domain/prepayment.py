"""Prepayment funds (预付金), SD-FUND-1: held at a treatment province, drawn by its settlements.

A draw beyond what is held is still recorded (a hospital's settlement is already incurred and
must never be refused for the fund's cash position) but flagged `overdrawn`. When the balance
falls under the warning line — `Policy.warning_percent` of the highest level the prepayment
reached — a top-up of the difference back to that level is requested, once per shortfall.
"""

from __future__ import annotations

from contracts.clearing import Entry, PrepaymentStatus
from services.clearing.domain.state import ClearingState, Policy, Prepayment


def warning_line(level_fen: int, policy: Policy) -> int:
    """Percentage of the level, rounded half up to the fen."""
    return (level_fen * policy.warning_percent + 50) // 100


def status_after(state: ClearingState, entries: tuple[Entry, ...], account: str,
                 policy: Policy, funded_now: int = 0) -> PrepaymentStatus:
    """SD-FUND-1: the prepayment's position after `entries`, and whether to request a top-up."""
    old = state.prepayments.get(account, Prepayment())
    change = sum(e.amount_fen for e in entries if e.account == account)
    balance = state.balances.get(account, 0) + change
    level = max(old.high_water_fen, balance)
    line = warning_line(level, policy)
    below = balance < line
    request = level - balance if below and not old.top_up_pending else 0
    return PrepaymentStatus(
        account=account, funded_fen=old.funded_fen + funded_now, balance_fen=balance,
        warning_line_fen=line, below_warning=below, overdrawn=balance < 0,
        top_up_requested_fen=max(request, 0),
    )
