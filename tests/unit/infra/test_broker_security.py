"""The local broker's security settings (infra/kafka.py via infra/broker_security.py) and
the credentials files (infra/secrets.py): no Docker, no broker needed."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from contracts.acl import PRINCIPALS
from infra import kafka, secrets
from infra.layout import Ports


def props(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines()
                if line and not line.startswith("#"))


def test_clients_must_log_in_and_nothing_is_allowed_without_an_acl() -> None:
    p = props(kafka.server_properties(Ports(kafka=21092, controller=21093, postgres=1), "pw"))
    assert p["listeners"] == "SASL_PLAINTEXT://127.0.0.1:21092,CONTROLLER://127.0.0.1:21093"
    assert p["listener.security.protocol.map"].startswith("SASL_PLAINTEXT:SASL_PLAINTEXT")
    assert p["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert p["authorizer.class.name"] == (
        "org.apache.kafka.metadata.authorizer.StandardAuthorizer")
    assert p["allow.everyone.if.no.acl.found"] == "false"
    assert set(p["super.users"].split(";")) == {"User:admin", "User:broker", "User:ANONYMOUS"}
    assert 'username="broker" password="pw"' in p[
        "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config"]


def test_every_principal_gets_a_private_random_password_once(tmp_path: Path) -> None:
    home = tmp_path / "kafka"
    assert secrets.ensure(home) == list(PRINCIPALS)
    first = {p: secrets.password(p, home) for p in PRINCIPALS}
    assert len(set(first.values())) == len(PRINCIPALS)
    assert secrets.ensure(home) == []  # kept: the broker's log knows these
    for principal in PRINCIPALS:
        f = secrets.path(principal, home)
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
        assert json.loads(f.read_text())["username"] == principal
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    args = secrets.scram_args(home)
    assert args.count("--add-scram") == len(PRINCIPALS)
    assert f"SCRAM-SHA-512=[name=admin,password={first['admin']}]" in args
