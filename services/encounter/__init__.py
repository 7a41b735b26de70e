"""ENCOUNTER service (就医): hospitals report admissions, charge lines and discharges.

Reads:
  - `hospital-messages` (key worker id): RecordAdmission, RecordChargeLine, CorrectChargeLine,
    ReverseChargeLine, RecordDischarge, CancelEncounter, RequestPreSettlement (2303/2206) —
    from Kafka or the HTTP ingress.
  - `pre-settlement-answers` (key worker id): settlement's PreSettlementAnswered, handed on.
  - `registration-coverage` (key worker id, compacted): WorkerCoverage snapshots -> local table.
  - `reference-data` (key dataset id): institutions, catalogs, pilot, credentials (every worker
    reads all of it).
Writes:
  - `encounter-events` (key worker id): EncounterAdmitted, ChargeLineRecorded/Corrected/
    Reversed, EncounterDischarged, DischargedEncounterCorrected, EncounterCancelled.
  - `hospital-replies` (key `hospital:<institution_id>`): AdmissionAnswered, MessageAccepted,
    MessageRejected, PreSettlementAnswered.
  - `pre-settlement-requests` (key worker id): PreSettleEncounter, the open encounter as it
    stands, for settlement to adjudicate (nothing recorded).
  - `encounter-deadletters`: refused input with its original bytes.
  - also `hospital-messages` (HTTP ingress publishes on behalf of the authenticated hospital).
Faust tables: `coverage_by_worker`, `encounters_by_worker` (decision state + message ids).
PostgreSQL (schema `encounter`): `encounters`, `charge_lines`, `checkpoints`.
HTTP (default port 18082): POST /hospital/messages, GET /encounters, GET /encounters/{id},
GET /workers/{worker_id}/coverage, GET /openapi.json, GET /health.
"""
