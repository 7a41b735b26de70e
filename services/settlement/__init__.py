"""Settlement service (结算): what the fund pays for each encounter, direct settlement at
discharge, reimbursement claims, advances and clawbacks.

Reads:   encounter-events (EncounterDischarged, DischargedEncounterCorrected; the rest ignored),
         reference-data (CatalogPublished, read to its end before each settlement),
         claim-commands (FileClaim, SubmitClaimDocuments, ReviewClaim, PayClaim, GrantAdvance,
         RecordInjuryNotRecognised),
         pre-settlement-requests (PreSettleEncounter, from encounter: 2303/2206).
Writes:  settlement-events (keyed by worker id: EncounterSettled, SettlementNoticeIssued,
         SettlementReversed, EncounterReimbursable, Claim*, ClaimPaid, Advance*,
         EmployerReceivableRaised), claim-replies (MessageAccepted / MessageRejected),
         pre-settlement-answers (PreSettlementAnswered: recorded nowhere else),
         settlement-deadletters.
Tables:  faust `worker_to_settlement_state` (per worker decision state);
         PostgreSQL schema `settlement`: encounter_settlements, claims, receivables.
"""
