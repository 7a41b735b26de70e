"""Phase 5: prepayments before the month, the month's clearing close, and an audit refusal.

Cycle ids come from the clearing read model (one per month and pair of regions that had
traffic); both regions confirm, then funds move. Qingdao then refuses part of a settlement
after the fact (SD-FUND-3): the refused amount is counted in June's cycle.
"""

from __future__ import annotations

from datetime import date

from contracts import clearing as cl
from contracts.topics import CLEARING_COMMANDS
from ops.demo import world as w
from ops.demo.staff import actor_for
from ops.demo.story import Step

FUND = "agency:370000-fund"


def _step(payload: cl.Command, key: str, day: date, says: str, expect: str = "accepted",
          region: str = w.SHANDONG) -> Step:
    """`region`: what the command concerns, so the right person sends it (ops.demo.staff)."""
    return Step(CLEARING_COMMANDS, payload, key, w.at(day, 15), FUND, says, expect,
                actor_for(payload, region))


def prepayments() -> list[Step]:
    day = date(2024, 4, 1)
    return [
        _step(cl.FundPrepayment(prepayment_id="PP-2024-JS-01", insured_province=w.SHANDONG,
                                treatment_province=w.JIANGSU, amount_fen=10_000_000,
                                funded_on=day), "370000|320000", day,
              "Shandong prepays 100,000.00 to be held in Jiangsu (SD-FUND-1)"),
        _step(cl.FundPrepayment(prepayment_id="PP-2024-BJ-01", insured_province=w.SHANDONG,
                                treatment_province=w.BEIJING_PROVINCE, amount_fen=3_000_000,
                                funded_on=day), "370000|110000", day,
              "Shandong prepays 30,000.00 to be held in Beijing (SD-FUND-1)"),
    ]


def close(cycle_ids: list[str], closed: date, confirmed: date, settled: date) -> list[Step]:
    steps: list[Step] = []
    for cid in cycle_ids:
        _, a, b = cl.parse_cycle_id(cid)
        steps.append(_step(cl.CloseCycle(cycle_id=cid, closed_on=closed), cid, closed,
                           f"close {cid} (SD-FUND-2)"))
        steps += [_step(cl.ConfirmCycle(cycle_id=cid, region=r, confirmed_on=confirmed), cid,
                        confirmed, f"{r} confirms {cid}", region=r) for r in (a, b)]
        steps.append(_step(cl.SettleCycle(cycle_id=cid, settled_on=settled), cid, settled,
                           f"settle {cid}: funds move"))
    return steps


def refusal(settlement_id: str) -> list[Step]:
    day = date(2024, 6, 10)
    return [_step(cl.RefuseItems(refusal_id="RF-2024-QD-001", settlement_id=settlement_id,
                                 amount_fen=5_000, reason_code="not_injury_related",
                                 reason="audit: dressing change unrelated to the injury",
                                 refused_on=day), "refusal", day,
                  f"Qingdao refuses 50.00 of {settlement_id} after audit (SD-FUND-3)")]
