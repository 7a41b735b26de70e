"""Issue 14 finding 8: `wic up` refuses Kafka/PostgreSQL ports inside the Linux ephemeral
range (a broker there could not restart while clients reconnected: a self-connect in
TIME-WAIT held its port), and CI's fallback ports lie outside it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infra import kafka, layout, postgres, stack
from infra.errors import StackError
from infra.layout import Ports

ROOT = Path(__file__).resolve().parents[3]


def test_finding_8_the_range_is_read_from_the_kernel_file(tmp_path: Path) -> None:
    f = tmp_path / "ip_local_port_range"
    f.write_text("40000\t50000\n")
    assert layout.ephemeral_range(f) == (40000, 50000)
    assert layout.ephemeral_range(tmp_path / "missing") == (32768, 60999)  # Linux default


def test_finding_8_a_port_inside_the_range_is_refused_with_the_range_and_a_way_out() -> None:
    with pytest.raises(StackError) as err:
        layout.check_outside_ephemeral(Ports(kafka=39092, controller=39093, postgres=15432),
                                       (32768, 60999))
    text = str(err.value)
    assert "Kafka port 39092" in text and "Kafka controller port 39093" in text
    assert "PostgreSQL" not in text.split("are inside")[0]
    assert "32768-60999" in text and "WIC_KAFKA_BOOTSTRAP" in text and "WIC_DATABASE_URL" in text
    with pytest.raises(StackError, match="PostgreSQL port 35432 is inside"):
        layout.check_outside_ephemeral(Ports(19092, 19093, 35432), (32768, 60999))


def test_finding_8_ports_outside_the_range_pass() -> None:
    layout.check_outside_ephemeral(Ports(19092, 19093, 15432), (32768, 60999))  # defaults
    layout.check_outside_ephemeral(Ports(21092, 21093, 21432), (32768, 60999))
    layout.check_outside_ephemeral(Ports(61092, 61093, 61432), (32768, 60999))  # above it


def test_finding_8_wic_up_refuses_before_starting_anything(monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    monkeypatch.setenv("WIC_KAFKA_BOOTSTRAP", "127.0.0.1:39092")
    monkeypatch.setattr(layout, "ephemeral_range", lambda *_: (32768, 60999))

    def started(*_: object) -> str:
        raise AssertionError("nothing may start on a port inside the ephemeral range")

    for module, name in ((kafka, "check_ports_free"), (kafka, "ensure_jars"),
                         (kafka, "start"), (postgres, "start")):
        monkeypatch.setattr(module, name, started)
    said: list[str] = []
    with pytest.raises(StackError, match=r"Kafka port 39092, .*ephemeral port range"):
        stack.up(said.append)
    assert said == []


def test_finding_8_ci_fallback_ports_are_outside_the_default_range() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    values = re.search(r"for n in ([\d ]+); do", script)
    templates = re.search(r'if ! set_busy "(\S+)" "(\S+)" "(\S+)"', script)
    assert values and templates
    for n in values.group(1).split():
        kafka_port, controller, pg = (int(t.replace("${n}", n)) for t in templates.groups())
        assert controller == kafka_port + 1  # infra puts the controller next to the broker
        layout.check_outside_ephemeral(Ports(kafka_port, controller, pg), (32768, 60999))
