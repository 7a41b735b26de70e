"""`wic users add`: a token of the local identity provider for a member of agency staff.

Local runs and tests only: in a deployment the agency's identity provider signs its staff
in, and the services are pointed at its published keys (docs/security.md).
"""

from __future__ import annotations

import argparse
import sys

from contracts.actor import Role
from contracts.types import PROVINCE_PREFIXES
from infra import identity, staff

EXAMPLES = """\
examples:
  wic users add li.na --name 李娜 --role registration_clerk --region 370100
  wic users add zhou.yu --role clearing_officer --region 370000 --hours 1
  wic users add li.na --name 李娜 --role registration_clerk --region 370100 --password 'S3cret!'
                        (also lets li.na sign in to the console, http://127.0.0.1:18090)
  TOKEN=$(wic users add wang.qiang --role registration_reviewer --region 370000)
  curl -H "Authorization: Bearer $TOKEN" -d @command.json http://127.0.0.1:18081/commands

roles: """ + ", ".join(r.value for r in Role) + """
regions: GB/T 2260 codes; a city (370100) or a whole province (370000)
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    users = subparsers.add_parser(
        "users", help="tokens of the local identity provider for agency staff",
        description="The local identity provider (a key under .local/identity/, made by "
        "`wic up`) signs tokens that the services accept as staff sign-ins.")
    sub = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = sub.add_parser(
        "add", help="print a signed token for a member of staff",
        description="Print a bearer token (JWT) naming the user, their roles and the regions "
        "they act for. Send it as `Authorization: Bearer <token>` to POST /commands.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    add.add_argument("user", help="the user id (the token's subject), e.g. li.na")
    add.add_argument("--role", action="append", required=True, choices=[r.value for r in Role],
                     help="a role (repeat for several)")
    add.add_argument("--region", action="append", required=True,
                     help="a region acted for (repeat for several)")
    add.add_argument("--name", default="", help="the person's name as shown in the audit")
    add.add_argument("--hours", type=float, default=8.0, help="validity (default 8 hours)")
    add.add_argument("--password", help="also record the user in the local staff directory "
                     "(.local/identity/staff.json, scrypt hash) so they can sign in to the "
                     "console (python -m console) with this password")
    add.set_defaults(func=_add)


def _add(args: argparse.Namespace) -> int:
    bad = [r for r in args.region
           if not (len(r) == 6 and r.isdigit() and r[:2] in PROVINCE_PREFIXES)]
    if bad:
        print(f"wic users add: {', '.join(bad)} is not a GB/T 2260 region code",
              file=sys.stderr)
        return 2
    if not identity.PRIVATE.exists():
        print("wic users add: no local issuer yet; run `wic up` first", file=sys.stderr)
        return 1
    if args.password:
        staff.add(args.user, args.password, args.role, args.region, name=args.name)
    print(identity.issue(args.user, args.role, args.region, name=args.name, hours=args.hours))
    return 0
