"""`bench.batches`: records per agent batch from two scrapes of the services' /metrics."""

from __future__ import annotations

from bench import batches

EXPOSITION = """\
# HELP wic_decision_latency_seconds Per batch of an agent
wic_decision_latency_seconds_bucket{service="encounter",topic="p.hospital-messages",le="0.1"} 3.0
wic_decision_latency_seconds_count{service="encounter",topic="p.hospital-messages"} %d.0
wic_decision_latency_seconds_sum{service="encounter",topic="p.hospital-messages"} 1.5
wic_faust_messages_received_per_topic_total{service="encounter",topic="p.hospital-messages"} %d.0
wic_faust_messages_received_per_topic_total{service="encounter",topic="p.registration-coverage"} 9.0
"""


def test_records_per_batch_are_the_differences_between_two_scrapes() -> None:
    """Issue 21 (target 1): the burst's batches, not those of the start-up before it."""
    before = batches.parse("encounter", EXPOSITION % (10, 100), "p.")
    after = batches.parse("encounter", EXPOSITION % (60, 1_100), "p.")
    assert after[("encounter", "batches", "hospital-messages")] == 60
    line = batches.describe(before, after)
    assert line == ("records per agent batch: encounter hospital-messages 20.0 "
                    "(1,000 in 50 batches)")


def test_no_batch_in_between_says_so() -> None:
    same = batches.parse("encounter", EXPOSITION % (10, 100), "p.")
    assert batches.describe(same, same) == "records per agent batch: no batches"
