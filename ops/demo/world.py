"""The demo's cast: workers with valid resident ids, their employers, places and dates.

Deterministic for a given seed, so two runs of the same size tell the same story.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from stdnum.cn import ric

from contracts.business_time import CHINA

MONTH = "2024-05"

JINAN, QINGDAO, ZIBO, YANTAI, DEZHOU, WEIFANG = (
    "370100", "370200", "370300", "370600", "371400", "370700")
NANJING, SHIJIAZHUANG, BEIJING = "320100", "130100", "110100"
SHANDONG, JIANGSU, HEBEI, BEIJING_PROVINCE = "370000", "320000", "130000", "110000"

# Sample institutions (reference/sample/institutions.yaml) by treatment city.
HOSPITAL = {JINAN: "H370100001", QINGDAO: "H370200001", ZIBO: "H370300001",
            YANTAI: "H370600001", DEZHOU: "H371400001", WEIFANG: "H370700001",
            NANJING: "H320100001", SHIJIAZHUANG: "H130100001"}
REHAB_JINAN = "R370100001"
DEVICES_JINAN = "D370100001"
NOT_ENABLED_WEIFANG = "H370700002"


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    """A business instant in China time."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA)


def utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Worker:
    worker_id: str
    card: str
    name: str
    insured_region: str
    employer_id: str


def resident_id(region: str, birth: date, seq: int) -> str:
    body = f"{region[:4]}01{birth:%Y%m%d}{seq % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # it ignores the last character


def valid(number: str) -> bool:
    try:
        return bool(ric.is_valid(number))
    except (KeyError, ValueError):
        return False


class Cast:
    """Workers are created on demand, numbered, with a region of insurance."""

    def __init__(self, seed: int = 2024) -> None:
        self.rng = random.Random(seed)
        self.count = 0
        self.issued: set[str] = set()

    def worker(self, insured_region: str, name: str = "") -> Worker:
        self.count += 1
        wid = ""
        # a birth place code must have existed on the birth date; and one person, one id:
        # (region, birth date, sequence mod 1000) repeats within 10,000 workers (the
        # 10,000-encounter chaos run: 11 "workers" applied for a second registration)
        while not valid(wid) or wid in self.issued:
            birth = date(1965, 1, 1) + timedelta(days=self.rng.randrange(0, 12000))
            wid = resident_id(insured_region, birth, self.count)
        self.issued.add(wid)
        return Worker(worker_id=wid, card=f"SSC{self.count:09d}", name=name or f"W{self.count}",
                      insured_region=insured_region,
                      employer_id=f"EMP{insured_region}{self.count % 7:03d}")
