"""Gateway checks: Ed25519 authenticity, replay by id and by the sender's own clock,
coverage on the treatment date (SD-ENC-1) and cross-provincial scope (SD-ENC-3)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from contracts.gateway import EncounterKind
from contracts.registration import CoverageWindow, RegistrationType, WorkerCoverage
from services.clearing.domain import gateway as g
from tests.support.gateway import PUBLIC_KEYS as KEYS
from tests.support.gateway import signed_claim

WORKER = "370102198503151002"
WINDOW = timedelta(minutes=10)
COVER = WorkerCoverage(worker_id=WORKER, social_security_card=None, last_event_id=uuid.uuid4(),
                       windows=(CoverageWindow(
                           registration_id="R", registration_type=RegistrationType.REFERRAL,
                           insured_region="370102", treatment_region="110000",
                           valid_from=date(2024, 4, 1), valid_until=date(2024, 6, 30)),))


def test_a_genuine_claim_passes_every_check() -> None:
    msg = signed_claim(worker=WORKER, fund_fen=1)
    assert g.authenticity(msg, KEYS) == []
    assert g.replay(msg, g.ProvinceReplayState(), WINDOW) == []
    assert g.validity(msg, COVER, "370000") == []


def test_forged_with_another_provinces_key_and_tampered_are_bad_signatures() -> None:
    forged = signed_claim(worker=WORKER, fund_fen=1, signer="320000")
    assert g.authenticity(forged, KEYS) == ["bad_signature"]
    good = signed_claim(worker=WORKER, fund_fen=1)
    claim = good.signed.claim.model_copy(update={"fund_fen": 999})
    tampered = good.model_copy(update={"signed": good.signed.model_copy(update={"claim": claim})})
    assert g.authenticity(tampered, KEYS) == ["bad_signature"]


def test_replayed_id_and_stale_message_by_the_senders_clock() -> None:
    t = datetime(2024, 5, 1, 12, tzinfo=UTC)
    first = signed_claim(worker=WORKER, fund_fen=1, sent_at=t)
    state = g.remember(g.ProvinceReplayState(), first, WINDOW)
    assert g.replay(first, state, WINDOW) == ["replayed"]
    old = signed_claim(worker=WORKER, fund_fen=1, sent_at=t - timedelta(minutes=11))
    assert g.replay(old, state, WINDOW) == ["stale_message"]


def test_sd_enc_1_and_sd_enc_3_unknown_uncovered_and_outpatient_are_refused() -> None:
    assert g.validity(signed_claim(worker=WORKER, fund_fen=1), None, "370000") == [
        "unknown_worker"]
    late = signed_claim(worker=WORKER, fund_fen=1, treatment_date=date(2024, 7, 1))
    assert g.validity(late, COVER, "370000") == ["not_covered_on_treatment_date"]
    outpatient = signed_claim(worker=WORKER, fund_fen=1, kind=EncounterKind.OUTPATIENT)
    assert g.validity(outpatient, COVER, "370000") == ["outside_cross_provincial_scope"]
