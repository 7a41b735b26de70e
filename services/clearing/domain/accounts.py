"""Account names of the ledger. Sign: amount > 0 is a debit, < 0 a credit; balance = Σ amounts.

| account | debit means | credit means |
|---|---|---|
| `fund:<city>` | cost charged to the insured place's fund | cost recovered (refusal…) |
| `institution:<id>` | the institution was paid | the institution is owed (payable) |
| `agency:<city>` | the insured side's agency received at clearing | it paid at clearing |
| `prepayment:<P>@<T>` | prepayment of insured province P held at T | drawn on by T's settlements |
| `bank:<city or province>` | money came into the fund's bank | money left it |
| `employer:<id>` | the employer owes the fund (receivable/advance) | the fund owes it / it repaid |
"""

from __future__ import annotations

from contracts.types import city_of, province_of


def fund(insured_region: str) -> str:
    return f"fund:{city_of(insured_region)}"


def institution(institution_id: str) -> str:
    return f"institution:{institution_id}"


def agency(region: str) -> str:
    return f"agency:{region}"


def bank(region: str) -> str:
    return f"bank:{region}"


def employer(employer_id: str) -> str:
    return f"employer:{employer_id}"


def prepayment(insured_province: str, treatment_province: str) -> str:
    return f"prepayment:{province_of(insured_province)}@{province_of(treatment_province)}"


def is_prepayment(account: str) -> bool:
    return account.startswith("prepayment:")
