"""Clearing service (清算): prepayments, the double-entry ledger, monthly clearing cycles
between regions, audit refusals, and the cross-provincial gateway.

Topics read: settlement-events (money events), clearing-commands (agency commands),
gateway-outbound (our accepted answers → ledger), gateway-inbound (other provinces' signed
claims, and their signed answers to our claims), registration-coverage (compacted coverage
snapshots).
Topics written: clearing-events (the ledger, one partition), clearing-replies,
gateway-outbound (our answers, and our signed claims for their insured treated here),
clearing-deadletters.
Faust tables: workers_to_coverage, provinces_to_replay_state.
PostgreSQL tables (schema `clearing`): ledger_events, ledger_entries, balances, cycles,
statements, cycle_nets, prepayment_positions (+ checkpoints).
"""
