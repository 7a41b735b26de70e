"""Generated gateway keys (issue 16, part 7): the service's files hold no other province's
private key, generation happens once, and the keys round-trip through the service's config."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts import gateway_keys as files
from contracts.gateway import GatewayClaimSubmitted, canonical_bytes
from contracts.runtime.startup import NotConfigured
from infra import gateway_keys
from infra.errors import StackError
from services.clearing.adapters import config
from services.clearing.domain import gateway as g
from tests.support.gateway import signed_claim

WORKER = "370102198503151002"


@pytest.fixture
def keys(tmp_path: Path) -> gateway_keys.DevKeys:
    return gateway_keys.dev_keys(tmp_path / "gateway")


@pytest.fixture
def service_env(keys: gateway_keys.DevKeys, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in keys.service_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("WIC_CLEARING_HOME_PROVINCE", raising=False)


def test_the_service_directory_holds_our_private_key_and_public_keys_only(
        keys: gateway_keys.DevKeys) -> None:
    service = keys.root / "service"
    assert sorted(p.name for p in service.iterdir()) == ["370000.key", "public-keys.json"]
    assert sorted(p.name for p in (keys.root / "peers").iterdir()) == ["110000.key",
                                                                       "320000.key"]
    home, public = files.parse_public_keys(keys.public_file.read_text())
    assert home == "370000" and set(public) == {"370000", "110000", "320000"}
    for province in public:  # every listed key is the public half of a generated pair
        assert files.key_id_of(keys.private_key(province), public[province])
    for key_file in (*service.glob("*.key"), *(keys.root / "peers").iterdir()):
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600, key_file


def test_generated_once_and_kept(keys: gateway_keys.DevKeys) -> None:
    before = {p: p.read_bytes() for p in keys.root.rglob("*") if p.is_file()}
    assert gateway_keys.generate(keys.root) is False
    assert gateway_keys.ensure(keys.root).startswith("gateway keys: kept in")
    assert {p: p.read_bytes() for p in keys.root.rglob("*") if p.is_file()} == before


def test_two_directories_get_different_keys(tmp_path: Path) -> None:
    a, b = (gateway_keys.dev_keys(tmp_path / n) for n in ("a", "b"))
    assert a.public_keys()["110000"] != b.public_keys()["110000"]


def test_a_directory_with_something_else_in_it_is_refused(tmp_path: Path) -> None:
    (tmp_path / "gateway").mkdir()
    (tmp_path / "gateway" / "notes.txt").write_text("mine")
    with pytest.raises(StackError, match="holds no gateway key set"):
        gateway_keys.generate(tmp_path / "gateway")


def test_a_claim_signed_with_the_generated_beijing_key_is_accepted(
        keys: gateway_keys.DevKeys, service_env: None) -> None:
    gw = config.gateway()
    assert (gw.home_province, gw.key_id) == ("370000", keys.key_id("370000"))
    msg = _signed(keys.private_key("110000"), keys.key_id("110000"))
    assert g.authenticity(msg, gw.keys) == []


def test_a_claim_signed_with_a_random_key_is_refused(
        keys: gateway_keys.DevKeys, service_env: None) -> None:
    gw = config.gateway()
    msg = _signed(Ed25519PrivateKey.generate(), keys.key_id("110000"))
    assert g.authenticity(msg, gw.keys) == ["bad_signature"]
    # and the keys the other tests sign with are not these: another set is another key
    assert g.authenticity(signed_claim(worker=WORKER, fund_fen=1), gw.keys) == ["unknown_key"]


def test_a_key_set_in_the_retired_layout_with_private_keys_is_refused(
        keys: gateway_keys.DevKeys, service_env: None, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    old = tmp_path / "keys.dev.json"
    old.write_text('{"home_province": "370000", "provinces": {"370000": '
                   '{"key_id": "sd-dev-1", "public": "x", "private": "y"}}}')
    monkeypatch.setenv("WIC_GATEWAY_KEYS", str(old))
    with pytest.raises(NotConfigured, match=f"WIC_GATEWAY_KEYS={old}: .*retired"):
        config.gateway()


def test_our_private_key_must_be_listed_as_ours(
        keys: gateway_keys.DevKeys, service_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A peer's key handed to the service as ours, or a key from another set, is refused."""
    peer = keys.root / "peers" / "110000.key"
    monkeypatch.setenv("WIC_GATEWAY_PRIVATE_KEY_FILE", str(peer))
    with pytest.raises(NotConfigured, match="not among province 370000's keys"):
        config.gateway()


def _signed(key: Ed25519PrivateKey, key_id: str) -> GatewayClaimSubmitted:
    """Beijing's claim, signed by `key` under `key_id`."""
    claim = signed_claim(worker=WORKER, fund_fen=1)
    signature = base64.b64encode(key.sign(canonical_bytes(claim.signed))).decode()
    return claim.model_copy(update={"key_id": key_id, "signature": signature})


def test_the_home_province_can_be_overridden_only_to_one_whose_key_we_hold(
        keys: gateway_keys.DevKeys, service_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIC_CLEARING_HOME_PROVINCE", "110000")
    with pytest.raises(NotConfigured, match="not among province 110000's keys"):
        config.gateway()


def test_a_rotation_pair_is_written_once_and_prints_its_public_key(tmp_path: Path) -> None:
    out = tmp_path / "sd-2025.key"
    public = base64.b64decode(gateway_keys.new_pair(out))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert files.public_bytes(files.parse_private_key(out.read_text())) == public
    with pytest.raises(StackError, match="never overwritten"):
        gateway_keys.new_pair(out)
