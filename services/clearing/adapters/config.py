"""Configuration read from the environment (not from the seeds): thresholds and gateway keys."""

from __future__ import annotations

import base64
import json
import os
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.clearing.domain.gateway import DEFAULT_SKEW, GatewayConfig, Keys
from services.clearing.domain.state import Policy

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_KEYS = ROOT / "reference" / "gateway" / "keys.dev.json"


def policy() -> Policy:
    """Prepayment warning line: % of the prepayment's level (default 30); our province and
    the gateway public keys (answers to our claims are verified in the ledger's decisions)."""
    gw = gateway()
    return Policy(warning_percent=int(os.environ.get("WIC_CLEARING_WARNING_PERCENT", "30")),
                  home_province=gw.home_province, keys=gw.keys)


def _private(mine: dict[str, str]) -> Ed25519PrivateKey | None:
    """Our signing key: the file named by WIC_GATEWAY_PRIVATE_KEY_FILE (production: base64 raw
    32-byte key from the secret store), else the keys file's `private` (dev keys only)."""
    path = os.environ.get("WIC_GATEWAY_PRIVATE_KEY_FILE")
    encoded = Path(path).read_text().strip() if path else mine.get("private")
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(encoded)) if encoded else None


def gateway() -> GatewayConfig:
    data = json.loads(Path(os.environ.get("WIC_GATEWAY_KEYS", str(DEFAULT_KEYS))).read_text())
    home = os.environ.get("WIC_CLEARING_HOME_PROVINCE", data.get("home_province", "370000"))
    keys: Keys = {p: {v["key_id"]: base64.b64decode(v["public"])}
                  for p, v in data["provinces"].items()}
    mine = data["provinces"].get(home, {})
    private = _private(mine)
    minutes = int(os.environ.get("WIC_GATEWAY_REPLAY_WINDOW_MINUTES", "10"))
    # how far a message's sent_at may be ahead of its Kafka record's time (from_the_future)
    skew = int(os.environ.get("WIC_GATEWAY_MAX_CLOCK_SKEW_MINUTES",
                              str(DEFAULT_SKEW.seconds // 60)))
    return GatewayConfig(home, keys, mine.get("key_id", ""), private, timedelta(minutes=minutes),
                         timedelta(minutes=skew))
