"""Registration service (异地就医备案): off-site treatment registrations, rebuilt from events.

Reads:   registration-commands (key: worker id) — apply, approve, reject, change, cancel,
         import-offline (contracts.registration).
Writes:  registration-events (key: worker id) — the source of truth;
         registration-coverage (key: worker id, compacted) — `WorkerCoverage` snapshot after
         every accepted command;
         registration-replies (key: command source) — MessageAccepted / MessageRejected;
         registration-deadletters (key: stage) — refused input with its original bytes.
Faust tables: `worker_state` (worker id -> WorkerState JSON, decision state + handled ids).
PostgreSQL schema `registration`: registrations, coverage_windows, registration_history,
         worker_states, checkpoints (read model, rebuilt from registration-events).
HTTP (WIC_WEB_PORT, default 18081): /registrations/{id}, /workers/{id}/coverage,
         /workers/{id}/history, POST /commands, /openapi.json, /health.
"""

SERVICE = "registration"
DEFAULT_WEB_PORT = 18081
