"""Issue 18 item 6: every registration refusal names the rule it enforces, and the accepted
answer carries the events recorded, so `POST /commands` can answer with the decision."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from contracts.replies import MessageAccepted
from services.registration.domain import WorkerState
from services.registration.domain.handlers import HANDLERS
from services.registration.domain.refusals import CONFLICTS, RULE_OF
from tests.unit.registration import builders as b

DOMAIN = Path(__file__).resolve().parents[3] / "services" / "registration" / "domain"
RAISED = re.compile(r'Rejected\(\s*"([a-z_]+)"')


def test_every_code_the_domain_raises_has_a_rule_id() -> None:
    """SD-REG-1…7: a refusal code the domain raises without a rule id would reach an HTTP
    client without `rule_id`; codes decided by the actor (four-eyes) are not business rules."""
    raised = {code for path in DOMAIN.glob("*.py") for code in RAISED.findall(path.read_text())}
    raised -= {"unsupported_command"}
    assert raised, "the pattern found no refusal at all"
    assert raised - set(RULE_OF) == set()
    assert set(RULE_OF.values()) <= {f"SD-REG-{n}" for n in range(1, 9)}
    assert set(RULE_OF) >= CONFLICTS


def test_sd_reg_3_accepted_reply_lists_the_recorded_events_and_a_resend_none() -> None:
    w = b.worker_id()
    env = b.env(b.apply(w, "REG-U1"), b.at(date(2024, 5, 1)))
    decision = HANDLERS[type(env.payload)](WorkerState(), env, None)
    [reply] = [o.envelope.payload for o in decision.replies]
    assert isinstance(reply, MessageAccepted)
    [event] = reply.events
    assert event.type == "RegistrationApplied" and event.payload["valid_until"] == "2025-04-30"
    assert event.event_id == decision.events[0].envelope.event_id  # the one on the log
    assert decision.state is not None
    again = HANDLERS[type(env.payload)](decision.state, env, None)
    [resent] = [o.envelope.payload for o in again.replies]
    assert isinstance(resent, MessageAccepted) and resent.events == ()
