"""The local three-broker cluster's layout (issue 17 item 5; `wic up --brokers 3`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra import cluster, stack
from infra.errors import StackError


def props(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines()
                if line and not line.startswith("#"))


def test_three_combined_nodes_on_consecutive_client_ports_controllers_100_above(
        tmp_path: Path) -> None:
    c = cluster.Cluster(tmp_path, 25092)
    assert c.bootstrap == "127.0.0.1:25092,127.0.0.1:25093,127.0.0.1:25094"
    for i in range(3):
        p = props(c.properties(i, "secret"))
        assert p["process.roles"] == "broker,controller"
        assert p["node.id"] == str(i + 1)
        assert p["controller.quorum.voters"] == (
            "1@127.0.0.1:25192,2@127.0.0.1:25193,3@127.0.0.1:25194")
        assert p["listeners"] == (f"SASL_PLAINTEXT://127.0.0.1:{25092 + i},"
                                  f"CONTROLLER://127.0.0.1:{25192 + i}")
        assert p["log.dirs"] == str(tmp_path / f"node-{i + 1}" / "data")


def test_replicated_three_times_with_two_in_sync_and_the_single_brokers_security(
        tmp_path: Path) -> None:
    p = props(cluster.Cluster(tmp_path, 25092).properties(0, "secret"))
    assert p["default.replication.factor"] == "3"
    assert p["min.insync.replicas"] == "2"
    assert p["offsets.topic.replication.factor"] == "3"
    assert p["transaction.state.log.min.isr"] == "2"
    assert p["unclean.leader.election.enable"] == "false"
    assert p["auto.create.topics.enable"] == "false"
    assert p["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert p["authorizer.class.name"].endswith("StandardAuthorizer")
    assert p["allow.everyone.if.no.acl.found"] == "false"


def test_up_takes_one_or_three_brokers() -> None:
    with pytest.raises(StackError, match="--brokers takes 1 or 3"):
        stack.up(say=lambda _: None, brokers=2)
