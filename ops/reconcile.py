"""Cross-service reconciliation, run by `wic verify` over every read model at once.

Each service proves its own read model equals its log; this proves the services agree with
each other, reading their schemas side by side (operators may read every schema):
- every direct settlement is posted in the ledger exactly once, and so is every reversal;
- every direct settlement traces back to a discharged, directly settleable encounter, whose
  registration is known to the registration service (SD-ENC-1, SD-REG-3).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg

Check = Callable[[asyncpg.Connection], Awaitable[list[str]]]
SCHEMAS = ("registration", "encounter", "settlement", "clearing", "benefits")


async def _posted_once(conn: asyncpg.Connection, made: str, kinds: tuple[str, ...]
                       ) -> list[str]:
    """Each (reference, kind) of `made` (a SELECT of reference, kind, amount_fen) posted
    exactly once on the ledger, among the postings of `kinds`."""
    rows = await conn.fetch(f"""
        WITH made AS ({made}),
        posted AS (
            SELECT payload->>'reference' AS reference, payload->>'kind' AS kind,
                   count(*) AS n
              FROM clearing.ledger_events WHERE event_type = 'LedgerPosted'
               AND payload->>'kind' = ANY($1::text[]) GROUP BY 1, 2)
        SELECT m.reference, m.kind, COALESCE(p.n, 0) AS n
          FROM made m LEFT JOIN posted p USING (reference, kind)
         WHERE COALESCE(p.n, 0) <> 1 AND m.amount_fen > 0 ORDER BY 1, 2 LIMIT 10""",
                            list(kinds))
    return [f"{r['kind']} {r['reference']} is posted {r['n']} times in the ledger, not once"
            for r in rows]


async def settlements_posted_once(conn: asyncpg.Connection) -> list[str]:
    return await _posted_once(conn, """
        SELECT settlement_id AS reference, 'settlement' AS kind, 1 AS amount_fen
          FROM settlement.encounter_settlements
         WHERE mode = 'direct' AND settlement_id IS NOT NULL
        UNION ALL
        SELECT settlement_id, 'reversal', 1 FROM settlement.encounter_settlements
         WHERE mode = 'direct' AND reversed_on IS NOT NULL""", ("settlement", "reversal"))


async def settlements_trace_to_registrations(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch("""
        SELECT s.settlement_id, e.encounter_id, e.direct_settlement, e.status,
               e.registration_id, r.registration_id AS known
          FROM settlement.encounter_settlements s
          LEFT JOIN encounter.encounters e ON e.encounter_id = s.encounter_id
          LEFT JOIN registration.registrations r
                 ON r.registration_id = e.registration_id AND r.worker_id = e.worker_id
         WHERE s.mode = 'direct' AND (e.encounter_id IS NULL OR NOT e.direct_settlement
               OR e.status <> 'discharged' OR r.registration_id IS NULL)
         ORDER BY 1 LIMIT 10""")
    problems = []
    for r in rows:
        if r["encounter_id"] is None:
            problems.append(f"settlement {r['settlement_id']}: no such encounter")
        elif not r["direct_settlement"] or r["status"] != "discharged":
            problems.append(f"settlement {r['settlement_id']}: encounter {r['encounter_id']} "
                            f"is {r['status']}, direct={r['direct_settlement']}")
        else:
            problems.append(f"settlement {r['settlement_id']}: registration "
                            f"{r['registration_id']} unknown to the registration service")
    return problems


async def benefit_payments_posted_once(conn: asyncpg.Connection) -> list[str]:
    """Issue 19: every monthly payment and reversal, and every paid one-time claim, of the
    benefits read model is posted exactly once by clearing."""
    return await _posted_once(conn, """
        SELECT payment_id::text AS reference, 'benefit_paid' AS kind, amount_fen
          FROM benefits.payments
        UNION ALL
        SELECT reversal_id::text, 'benefit_reversed', amount_fen FROM benefits.reversals
        UNION ALL
        SELECT claim_id, 'benefit_paid', paid_fen FROM benefits.benefit_claims
         WHERE status = 'paid'""", ("benefit_paid", "benefit_reversed"))


CHECKS: tuple[Check, ...] = (settlements_posted_once, settlements_trace_to_registrations,
                             benefit_payments_posted_once)


async def reconcile(database_url: str) -> list[tuple[str, list[str]]]:
    """Run every cross-service check; skipped (with a note) if a schema is missing."""
    conn = await asyncpg.connect(database_url)
    try:
        present = {r["nspname"] for r in await conn.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname = ANY($1::text[])", list(SCHEMAS))}
        if present != set(SCHEMAS):
            missing = ", ".join(sorted(set(SCHEMAS) - present))
            return [("reconciliation", [f"skipped: schema(s) {missing} missing (run wic up)"])]
        return [(check.__name__, await check(conn)) for check in CHECKS]
    finally:
        await conn.close()
