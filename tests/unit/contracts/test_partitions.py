"""Co-partitioning as configuration (issue 17 item 1): one setting for every worker-keyed
topic, and the start-up check's judgement over {topic: partition count}."""

from __future__ import annotations

import pytest

from contracts import settings
from contracts import topics as registry
from contracts.runtime.partitions import mismatch, service_topics


def test_co_partitioned_topics_with_the_configured_count_pass() -> None:
    assert mismatch({"hospital-messages": 12, "encounter-events": 12,
                     "encounter-coverage_by_worker-changelog": 12}, 12) is None
    assert mismatch({}, 12) is None  # nothing created yet: nothing to judge


def test_topics_that_disagree_with_each_other_are_refused_naming_each_count() -> None:
    why = mismatch({"hospital-messages": 4, "encounter-events": 12,
                    "registration-coverage": 12}, 12)
    assert why is not None
    assert "not co-partitioned" in why
    assert "4 partitions: hospital-messages" in why
    assert "12 partitions: encounter-events, registration-coverage" in why
    assert "WIC_WORKER_PARTITIONS is 12" in why


def test_topics_that_agree_but_differ_from_the_setting_are_refused() -> None:
    why = mismatch({"hospital-messages": 4, "encounter-events": 4}, 12)
    assert why is not None
    assert "have 4 partitions each but WIC_WORKER_PARTITIONS is 12" in why
    assert "docs/operations.md" in why  # how to grow them


def test_the_setting_is_read_from_the_environment_default_12(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WIC_WORKER_PARTITIONS", raising=False)
    assert settings.worker_partitions() == 12
    monkeypatch.setenv("WIC_WORKER_PARTITIONS", "24")
    assert settings.worker_partitions() == 24
    assert registry.HOSPITAL_MESSAGES.partitions == 24  # read when used, not at import
    assert registry.CLEARING_EVENTS.partitions == 1  # the ledger keeps its one total order
    assert settings.load().worker_partitions == 24
    for bad in ("0", "-3", "twelve"):
        monkeypatch.setenv("WIC_WORKER_PARTITIONS", bad)
        with pytest.raises(ValueError, match="WIC_WORKER_PARTITIONS"):
            settings.worker_partitions()


def test_each_service_checks_the_worker_keyed_topics_it_reads_and_writes() -> None:
    encounter = {t.base for t in service_topics(registry.Writer.ENCOUNTER)}
    assert {"hospital-messages", "encounter-events", "registration-coverage",
            "pre-settlement-answers", "pre-settlement-requests"} <= encounter
    assert "reference-data" not in encounter  # one partition, not co-partitioned
    clearing = {t.base for t in service_topics(registry.Writer.CLEARING)}
    assert {"settlement-events", "registration-coverage", "gateway-inbound"} <= clearing
    assert "clearing-events" not in clearing


def test_replication_and_min_insync_follow_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Item 5: three replicas with min.insync.replicas=2; the dev broker one and one."""
    monkeypatch.delenv("WIC_KAFKA_REPLICATION", raising=False)
    assert settings.replication() == 1 and settings.min_insync(1) == 1
    monkeypatch.setenv("WIC_KAFKA_REPLICATION", "3")
    assert settings.load().replication == 3
    assert settings.min_insync(3) == 2 and settings.min_insync(2) == 1
    assert settings.min_insync(5) == 2
