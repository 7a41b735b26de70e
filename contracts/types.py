"""Strict value types shared by every message: money, regions, identities.

Money is integer fen (分, 0.01 yuan), never float: pydantic runs in strict mode for it, so
`12.5` or `"1250"` is refused rather than coerced.
"""

from __future__ import annotations

import functools
import re
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, ValidationInfo
from stdnum.cn import ric

MAX_FEN = 10**13  # 100 billion yuan: far above any real movement, below int64 overflow

Fen = Annotated[int, Field(strict=True, ge=-MAX_FEN, le=MAX_FEN)]
"""A signed amount in fen (0.01 yuan)."""

NonNegativeFen = Annotated[int, Field(strict=True, ge=0, le=MAX_FEN)]


def yuan_text(fen: int, grouped: bool = False) -> str:
    """Fen as yuan with two decimals, by integer arithmetic (no float): 123456 → '1234.56',
    -5 → '-0.05' (what statement files and slips print); `grouped`: '1,234.56' (terminals)."""
    units, cents = divmod(abs(fen), 100)
    whole = f"{units:,}" if grouped else str(units)
    return f"{'-' if fen < 0 else ''}{whole}.{cents:02d}"

# GB/T 2260 province-level prefixes (11 Beijing … 82 Macao).
PROVINCE_PREFIXES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34",
    "35", "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52",
    "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
})


def _region_code(value: str) -> str:
    if not re.fullmatch(r"\d{6}", value):
        raise ValueError(f"region code {value!r} is not six digits (GB/T 2260)")
    if value[:2] not in PROVINCE_PREFIXES:
        raise ValueError(f"region code {value!r} has no GB/T 2260 province prefix {value[:2]!r}")
    return value


def _resident_id(value: str) -> str:
    normalized = value.strip().upper()
    if not _resident_id_valid(normalized):
        raise ValueError(
            f"resident id {value!r} is not a valid 18-character id (ISO 7064 MOD 11-2 check "
            "digit, birth date and GB/T 2260 birth place)"
        )
    return normalized


def _resident_id_valid(number: str) -> bool:
    """stdnum's checks, with the birth-place look-up memoized and the birth date read
    directly (both were the hot part of decoding: every envelope names a worker)."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    if number[-1] != ric.calc_check_digit(number):
        return False
    try:  # stdnum's get_birth_date without its compact(): 17 digits are checked above
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return _birth_place_known(number[:6], number[6:10])


@functools.lru_cache(maxsize=65536)
def _birth_place_known(code: str, year: str) -> bool:
    # The answer depends only on the place code and the birth year, so caching is exact.
    try:
        ric.get_birth_place(f"{code}{year}0101" + "0000")
    except (KeyError, ValueError):  # stdnum's place table has gaps it does not catch itself
        return False
    return True


TRUSTED: dict[str, bool] = {"trusted": True}
"""The validation context of a record its topic's own writer validated (`contracts.trusted`):
the checks below pass it through (the writer ran them); anything that builds a value still
runs. Compared by identity: no other context can switch the checks off."""


def _region_code_checked(value: str, info: ValidationInfo) -> str:
    return value if info.context is TRUSTED else _region_code(value)


def _resident_id_checked(value: str, info: ValidationInfo) -> str:
    return value if info.context is TRUSTED else _resident_id(value)


RegionCode = Annotated[str, AfterValidator(_region_code_checked)]
"""GB/T 2260 six-digit administrative division code, e.g. 370100 (Jinan)."""

ResidentId = Annotated[str, AfterValidator(_resident_id_checked)]
"""Resident identity card number (公民身份号码), check digit verified; the worker id."""

SocialSecurityCard = Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{9,20}$")]
"""Social security card number (社会保障卡号): the settlement credential (SD-REG-7)."""

InstitutionId = Annotated[str, StringConstraints(pattern=r"^[A-Z][0-9A-Z]{5,19}$")]
"""Agreement institution code, e.g. H37010200001."""

Code = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z._-]+$")]
"""A catalog or reason code."""

Text = Annotated[str, StringConstraints(max_length=2000)]


def province_of(region: str) -> str:
    """The province-level code of a region: 370102 -> 370000."""
    return region[:2] + "0000"


def city_of(region: str) -> str:
    """The prefecture-level city code of a region: 370102 -> 370100 (municipalities keep xx0100)."""
    return region[:4] + "00"
