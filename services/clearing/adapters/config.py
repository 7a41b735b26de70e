"""Configuration read from the environment (not from the seeds): thresholds and gateway keys.

The gateway keys come only from the files the environment names (no default: a key in the
repository would be a key anyone can sign with). `WIC_GATEWAY_KEYS`: the public key set
(`contracts.gateway_keys`); `WIC_GATEWAY_PRIVATE_KEY_FILE`: our private key. Either missing
or wrong raises `NotConfigured`, and the service does not start (docs/security.md).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts import gateway_keys
from contracts.runtime.startup import NotConfigured
from services.clearing.domain.gateway import DEFAULT_SKEW, GatewayConfig, Keys
from services.clearing.domain.state import Policy

KEYS_VAR = "WIC_GATEWAY_KEYS"
PRIVATE_VAR = "WIC_GATEWAY_PRIVATE_KEY_FILE"
HOW = ("`wic keys generate` writes a dev set (docs/security.md, \"Gateway keys\")")


def policy(gw: GatewayConfig) -> Policy:
    """Prepayment warning line: % of the prepayment's level (default 30); our province and
    the gateway public keys (answers to our claims are verified in the ledger's decisions)."""
    return Policy(warning_percent=int(os.environ.get("WIC_CLEARING_WARNING_PERCENT", "30")),
                  home_province=gw.home_province, keys=gw.keys)


def _file(var: str, what: str) -> tuple[Path, str]:
    value = os.environ.get(var, "").strip()
    if not value:
        raise NotConfigured(f"{var} is not set: it must name the file holding {what}; {HOW}")
    path = Path(value)
    try:
        return path, path.read_text()
    except OSError as exc:
        raise NotConfigured(f"{var}={path}: cannot read {what} ({exc.strerror or exc}); {HOW}"
                            ) from None


def _keys() -> tuple[str, Keys]:
    path, text = _file(KEYS_VAR, "the provinces' public gateway keys")
    try:
        return gateway_keys.parse_public_keys(text)
    except ValueError as exc:
        raise NotConfigured(f"{KEYS_VAR}={path}: {exc}") from None


def _private(home: str, keys: Keys) -> tuple[Ed25519PrivateKey, str]:
    """Our signing key and its id: the id under which its public half is listed for us."""
    path, text = _file(PRIVATE_VAR, f"our ({home}) gateway private key")
    try:
        key = gateway_keys.parse_private_key(text)
    except ValueError as exc:
        raise NotConfigured(f"{PRIVATE_VAR}={path}: {exc}") from None
    key_id = gateway_keys.key_id_of(key, keys.get(home, {}))
    if key_id is None:
        raise NotConfigured(f"{PRIVATE_VAR}={path}: its public key is not among province "
                            f"{home}'s keys in {KEYS_VAR}={os.environ[KEYS_VAR]}")
    return key, key_id


def gateway() -> GatewayConfig:
    listed_home, keys = _keys()
    home = os.environ.get("WIC_CLEARING_HOME_PROVINCE", listed_home)
    private, key_id = _private(home, keys)
    minutes = int(os.environ.get("WIC_GATEWAY_REPLAY_WINDOW_MINUTES", "10"))
    # how far a message's sent_at may be ahead of its Kafka record's time (from_the_future)
    skew = int(os.environ.get("WIC_GATEWAY_MAX_CLOCK_SKEW_MINUTES",
                              str(DEFAULT_SKEW.seconds // 60)))
    return GatewayConfig(home, keys, key_id, private, timedelta(minutes=minutes),
                         timedelta(minutes=skew))
