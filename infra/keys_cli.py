"""`wic keys generate`: the gateway dev keys, without the stack (for docker compose)."""

from __future__ import annotations

import argparse
from pathlib import Path

from infra import gateway_keys

EPILOG = f"""\
examples:
  wic keys generate           into {gateway_keys.rel(gateway_keys.DEFAULT_DIR)} (as `wic up` does)
  wic keys generate --dir ./.local/secrets/gateway && docker compose up --build

writes service/public-keys.json (WIC_GATEWAY_KEYS), service/{gateway_keys.HOME}.key
(WIC_GATEWAY_PRIVATE_KEY_FILE) and peers/<province>.key (the other provinces' private keys,
for the demo and tests only). A directory that already holds a set is kept as it is.
docs/security.md, "Gateway keys": layout, rotation, real keys.
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = subparsers.add_parser("keys", help="gateway signing keys (dev key pairs)",
                                 description="Ed25519 keys of the cross-provincial gateway.")
    sub = keys.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser(
        "generate", help="generate fresh dev key pairs unless the directory holds some",
        description="Generate fresh Ed25519 key pairs for Shandong (370000, us), Beijing "
        "(110000) and Jiangsu (320000). Needs no running stack.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dir", type=Path, default=gateway_keys.DEFAULT_DIR,
                   help="where to write them (default: %(default)s)")
    p.set_defaults(func=_generate)

    p = sub.add_parser(
        "pair", help="one new key pair, for a rotation: private key to a file, public printed",
        description="Write a new Ed25519 private key to OUT (mode 0600; refused if OUT exists) "
        "and print its public key, for the public key set (docs/operations.md, \"Gateway "
        "keys\": add it under a new key id beside the old one, switch, then retire the old).")
    p.add_argument("out", type=Path, metavar="OUT", help="the new private key file")
    p.set_defaults(func=_pair)


def _generate(args: argparse.Namespace) -> int:
    print(gateway_keys.ensure(args.dir.resolve()))
    return 0


def _pair(args: argparse.Namespace) -> int:
    print(gateway_keys.new_pair(args.out))
    return 0
