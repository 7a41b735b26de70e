"""Institution credentials (reconciliation 3201/3202 signs in with them) count only as the
operator published them: encounter may co-write reference-data (its code-mapping door,
3301/3302), but never a credential (contracts.reference.written_by)."""

from __future__ import annotations

import hashlib
from datetime import date

from contracts.reference import OPERATOR_SOURCE, InstitutionCredentialPublished
from services.clearing.adapters.credentials import Credentials

DIGEST = hashlib.sha256(b"sample-token-H370100001").hexdigest()
CREDENTIAL = InstitutionCredentialPublished(institution_id="H370100001", token_sha256=DIGEST,
                                            effective_from=date(2024, 1, 1))


def test_a_credential_published_by_the_operator_signs_the_institution_in() -> None:
    kept = Credentials()
    kept.add(CREDENTIAL, OPERATOR_SOURCE)
    assert kept.institution_for_token(DIGEST) == "H370100001"


def test_a_credential_from_the_reference_co_writer_is_not_taken() -> None:
    kept = Credentials()
    kept.add(CREDENTIAL, "encounter")  # the mapping door's source: mappings only
    assert kept.institution_for_token(DIGEST) is None
    kept.add(CREDENTIAL.model_copy(update={"token_sha256": None}), "encounter")
    kept.add(CREDENTIAL, OPERATOR_SOURCE)
    kept.add(CREDENTIAL.model_copy(update={"token_sha256": None}), "encounter")  # no revoke
    assert kept.institution_for_token(DIGEST) == "H370100001"
