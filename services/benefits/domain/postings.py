"""Benefit payments as balanced double entries (DOMAIN.md "Money is exact").

Accounts follow clearing's names (services/clearing/domain/accounts.py; sign: > 0 debit,
< 0 credit): `fund:<city>` is the insured city's fund charged with the cost; the payee's
account is credited with what the fund pays it: `employer:<id>` (XM-21(1)(2), as clearing's
employer account: credit = the fund paid or owes it) or `person:<id>` (XM-21(3): a worker's
resident id, or `<worker>/<dependant>` for a dependant, whose ids are the worker's own). A
reversal is the same legs with the signs turned.
"""

from __future__ import annotations

from contracts.clearing import Entry
from contracts.types import city_of


def fund(insured_region: str) -> str:
    return f"fund:{city_of(insured_region)}"


def employer(employer_id: str) -> str:
    return f"employer:{employer_id}"


def person(worker_id: str, person_id: str) -> str:
    return f"person:{worker_id}" if person_id == worker_id else f"person:{worker_id}/{person_id}"


def paid(insured_region: str, payee_account: str, amount_fen: int) -> tuple[Entry, ...]:
    """Debit the fund (the benefit's cost), credit the payee; nothing for a zero amount."""
    if amount_fen == 0:
        return ()
    return (Entry(account=fund(insured_region), amount_fen=amount_fen),
            Entry(account=payee_account, amount_fen=-amount_fen))


def reversed_(insured_region: str, payee_account: str, amount_fen: int) -> tuple[Entry, ...]:
    """The payment's legs turned: the cost taken back from the fund, the payee owes it."""
    return tuple(Entry(account=e.account, amount_fen=-e.amount_fen)
                 for e in paid(insured_region, payee_account, amount_fen))
