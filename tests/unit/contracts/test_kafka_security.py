"""How a process finds its Kafka identity (contracts.settings): the one function every
client's security arguments come from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contracts.settings import KafkaCredentialsMissing, kafka_auth, kafka_security

NAMES = ("WIC_KAFKA_SECURITY", "WIC_KAFKA_PRINCIPAL", "WIC_KAFKA_CREDENTIALS",
         "WIC_KAFKA_USERNAME", "WIC_KAFKA_PASSWORD", "WIC_KAFKA_SECRETS")


@pytest.fixture
def secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WIC_KAFKA_SECRETS", str(tmp_path))
    for who in ("operator", "encounter"):
        (tmp_path / f"{who}.json").write_text(json.dumps({"username": who,
                                                          "password": f"{who}-pw"}))
    return tmp_path


def test_the_program_s_own_principal_by_default(secrets: Path) -> None:
    assert kafka_security(kafka_auth("encounter")) == {
        "security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "encounter", "sasl_plain_password": "encounter-pw"}
    assert kafka_auth().username == "operator"


def test_the_environment_names_another(secrets: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIC_KAFKA_PRINCIPAL", "operator")
    assert kafka_auth("encounter").password == "operator-pw"
    monkeypatch.setenv("WIC_KAFKA_CREDENTIALS", str(secrets / "encounter.json"))
    assert kafka_auth("operator").username == "encounter"
    monkeypatch.setenv("WIC_KAFKA_PASSWORD", "typed")
    auth = kafka_auth("operator")
    assert (auth.username, auth.password, auth.source) == ("encounter", "typed",
                                                           "WIC_KAFKA_PASSWORD")


def test_no_password_is_a_clear_error_naming_the_file(secrets: Path) -> None:
    with pytest.raises(KafkaCredentialsMissing, match=r"clearing.*clearing\.json"):
        kafka_security(kafka_auth("clearing"))


def test_plaintext_needs_nothing(secrets: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIC_KAFKA_SECURITY", "plaintext")
    assert kafka_security(kafka_auth("clearing")) == {}
