"""The benchmark's seeded registrations are what the registration service itself records
for an application by a clerk and an approval by another person (SD-REG-1/SD-REG-3, issue
16: an agency command carries its authenticated sender), and the fast path that fills the
log by substitution gives exactly those records."""

from __future__ import annotations

import orjson

from bench import gen


def test_sd_reg_3_seeded_registrations_are_applied_and_approved_by_two_named_people() -> None:
    records = gen.decided(7)
    applied, approved = (orjson.loads(e) for e in records.events)
    assert (applied["type"], approved["type"]) == ("RegistrationApplied", "RegistrationApproved")
    assert applied["actor"]["id"] == "staff:bench-clerk"
    assert approved["actor"]["id"] == approved["payload"]["reviewer"] == "staff:bench-reviewer"


def test_the_fast_path_equals_the_service_s_own_output() -> None:
    gen.Generator().check(samples=(1, 999, 123_457))
