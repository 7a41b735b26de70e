"""The broker's ACLs as generated from the topic registry (contracts.acl): one writer per
topic, services confined to their own topics, every binding scoped to its run's prefix."""

from __future__ import annotations

from contracts import acl, topics
from contracts.acl import OPERATOR, SERVICES, Binding, bindings, readers, writers
from contracts.topics import Writer
from infra import gateway_keys

PREFIX = "t-acl-1a2b3c."


def _allowed(rules: set[Binding], principal: str, operation: str, name: str) -> bool:
    return any(b.principal == principal and b.operation == operation and b.resource == "topic"
               and (b.name == name if b.pattern == "literal" else name.startswith(b.name))
               for b in rules)


def test_every_topic_has_a_writer_principal_that_exists() -> None:
    for topic in topics.ALL:
        assert writers(topic), topic.base
        assert set(writers(topic)) <= set(acl.PRINCIPALS), topic.base


def test_a_service_event_topic_is_written_by_its_service_alone() -> None:
    rules = bindings(PREFIX)
    everyone = set(acl.PRINCIPALS) - set(acl.SUPER_USERS)
    for topic in topics.ALL:
        if topic.writer not in SERVICES:
            continue
        may = {p for p in everyone if _allowed(rules, p, "WRITE", topic.name(PREFIX))}
        assert may == {str(topic.writer)}, topic.base


def test_faust_internal_prefixes_reach_no_topic_a_service_may_not_write() -> None:
    """`<prefix><service>-` (its changelogs) must not open another party's topic to it."""
    rules = bindings(PREFIX)
    for topic in topics.ALL:
        for service in map(str, SERVICES):
            if _allowed(rules, service, "WRITE", topic.name(PREFIX)):
                assert service in writers(topic), (service, topic.base)


def test_outside_parties_write_only_their_inputs() -> None:
    rules = bindings(PREFIX)
    written = {p: {t.base for t in topics.ALL if _allowed(rules, p, "WRITE", t.name(PREFIX))}
               for p in (acl.HOSPITAL_GATEWAY, *acl.PROVINCES, OPERATOR)}
    assert written[acl.HOSPITAL_GATEWAY] == {"hospital-messages", "reconciliation-requests"}
    for province in acl.PROVINCES:
        assert written[province] == {"gateway-inbound"}
    assert written[OPERATOR] == {t.base for t in topics.ALL
                                 if t.writer not in SERVICES}


def test_command_topics_are_written_by_their_consuming_service_and_the_operator() -> None:
    assert writers(topics.REGISTRATION_COMMANDS) == ("registration", OPERATOR)
    assert writers(topics.CLAIM_COMMANDS) == ("settlement", OPERATOR)
    assert writers(topics.CLEARING_COMMANDS) == ("clearing", OPERATOR)
    assert writers(topics.HOSPITAL_MESSAGES) == ("encounter", acl.HOSPITAL_GATEWAY, OPERATOR)


def test_readers_are_the_writer_service_the_declared_consumers_and_the_operator() -> None:
    assert readers(topics.ENCOUNTER_EVENTS) == ("encounter", "settlement", OPERATOR)
    assert readers(topics.GATEWAY_OUTBOUND) == ("clearing", *acl.PROVINCES, OPERATOR)
    assert readers(topics.HOSPITAL_REPLIES) == ("encounter", acl.HOSPITAL_GATEWAY, OPERATOR)
    rules = bindings(PREFIX)
    assert not _allowed(rules, "registration", "READ", topics.CLEARING_EVENTS.name(PREFIX))
    assert not _allowed(rules, acl.HOSPITAL_GATEWAY, "READ",
                        topics.ENCOUNTER_EVENTS.name(PREFIX))


def test_every_binding_is_scoped_to_its_prefix() -> None:
    for b in bindings(PREFIX):
        assert b.name.startswith(PREFIX), b
    assert {b.name for b in bindings(PREFIX)}.isdisjoint(b.name for b in bindings("t-other."))


def test_without_a_prefix_the_operator_groups_are_a_wildcard_not_an_empty_prefix() -> None:
    groups = {b for b in bindings("") if b.principal == OPERATOR and b.resource == "group"}
    assert {(b.name, b.pattern) for b in groups} == {("*", "literal")}
    assert all(b.name for b in bindings(""))


def test_each_service_may_use_its_faust_app_id_and_read_model_groups() -> None:
    rules = bindings(PREFIX)
    for service in map(str, SERVICES):
        groups = {b.name for b in rules if b.principal == service and b.resource == "group"
                  and b.operation == "READ" and b.pattern == "prefixed"}
        assert groups == {f"{PREFIX}{service}"}  # faust id; `<id>.<projection>` read models


def test_province_principals_are_the_gateway_config_s_other_provinces() -> None:
    """The provinces the dev gateway keys are generated for, other than our own."""
    assert set(acl.GATEWAY_PROVINCES) == set(gateway_keys.PEERS) - {gateway_keys.HOME}


def test_no_party_is_left_without_a_mapping() -> None:
    for writer in Writer:
        topic = topics.Topic("x", "k", "v", writer, readers=(writer,))
        assert writers(topic) and readers(topic)


def test_3301_reference_data_is_written_by_the_operator_and_encounter_alone() -> None:
    """Issue 18 item 5: encounter's door publishes the institutions' code mappings
    (3301/3302) on reference-data; consumers keep only those from it
    (`contracts.reference.written_by`). No other service may write there."""
    assert writers(topics.REFERENCE_DATA) == (OPERATOR, "encounter")
    rules = bindings(PREFIX)
    may = {p for p in set(acl.PRINCIPALS) - set(acl.SUPER_USERS)
           if _allowed(rules, p, "WRITE", topics.REFERENCE_DATA.name(PREFIX))}
    assert may == {OPERATOR, "encounter"}
