"""`wic benefits`: the monthly payment run and what a worker is owed and paid (issue 19).

`run` sends `RunMonthlyPayments` to the benefits service's `POST /commands` as the member of
finance the token names (`--token`, default `$WIC_TOKEN`) and prints the answer; `show`
prints a worker's entitlements, payments and claims from `GET /workers/{id}/benefits`;
`runs` a month's runs and totals from `GET /runs`. Amounts in yuan, exact to the fen.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import UTC, date, datetime
from typing import Any

from contracts.benefits import RunMonthlyPayments
from contracts.business_time import business_date
from ops import desk
from ops.clearing import month_arg, yuan

BENEFITS_PORT = 18085
SOURCE = "wic-benefits"  # the channel; the person is the token's
EXAMPLES = """\
examples:
  export WIC_TOKEN=$(wic users add sun.li --role finance --region 370000)
  wic benefits run --month 2024-07 --on 2024-07-25      the July run (XM-21(3))
  wic benefits run --month 2024-07 --rerun              pay what late facts changed
  wic benefits runs --month 2024-07                     the month's runs and totals
  wic benefits show 370102198501010011 --as-of 2024-07-31

exit status: 0 done, 1 refused by the service (its reason code is printed), 2 bad usage or
no token, 3 the service could not be reached or did not answer in time.
"""


def benefits_url() -> str:
    return os.environ.get("WIC_BENEFITS_URL", f"http://127.0.0.1:{BENEFITS_PORT}")


def _today() -> date:
    return business_date(datetime.now(UTC))


def run(args: argparse.Namespace) -> int:
    command = RunMonthlyPayments(month=args.month, ran_on=args.on, fresh=not args.rerun)
    answer = asyncio.run(desk.send_command(args.url, command, key=args.month, on=args.on,
                                           token=args.token, source=SOURCE, timeout=30.0))
    return desk.report(answer, f"payment run {args.month}")


def runs(args: argparse.Namespace) -> int:
    status, body = desk.request(f"{args.url}/runs?month={args.month}", args.token)
    if status != 200:
        return _refused(status, body)
    for r in body["runs"]:
        held = f", {len(r['held'])} held" if r["held"] else ""
        print(f"{r['run_id']:<22} ran {r['ran_on']}  {r['payments']:>5} payments "
              f"{yuan(r['paid_fen']):>16}  {r['reversals']:>4} reversals "
              f"{yuan(r['reversed_fen']):>14}{held}")
    for benefit, fen in body["by_benefit"].items():
        print(f"  {benefit:<24} net {yuan(fen):>16}")
    print(f"month {body['month']}: paid {yuan(body['paid_fen'])}, reversed "
          f"{yuan(body['reversed_fen'])}")
    return 0


def show(args: argparse.Namespace) -> int:
    as_of = f"?as_of={args.as_of}" if args.as_of else ""
    status, body = desk.request(f"{args.url}/workers/{args.worker}/benefits{as_of}", args.token)
    if status != 200:
        return _refused(status, body)
    print(f"worker {body['worker_id']} (insured {body['insured_region']}, injured "
          f"{body['injured_on']}), as of {body['as_of']}")
    print(f"owed for {body['month']}:")
    for e in body["entitlements"] or [{"person_id": "-", "benefit": "nothing", "amount_fen": 0,
                                       "rules": []}]:
        print(f"  {e['person_id']:<20} {e['benefit']:<22} {yuan(e['amount_fen']):>12}  "
              f"{' '.join(e['rules'])}")
    print(f"payments ({len(body['payments'])}; live total {yuan(body['paid_fen'])}):")
    for p in body["payments"]:
        gone = f"  reversed in {p['reversed_in']}" if p["reversed_by"] else ""
        print(f"  {p['benefit_month']} {p['person_id']:<20} {p['benefit']:<22} "
              f"{yuan(p['amount_fen']):>12}  run {p['run_month']}"
              f"{' (arrears)' if p['arrears'] else ''}{gone}")
    for c in body["claims"]:
        print(f"claim {c['claim_id']} {c['kind']}: {c['status']}"
              f"{' OVERDUE' if c['overdue'] else ''}")
    return 0


def _refused(status: int, body: Any) -> int:
    code = body.get("reason_code", status) if isinstance(body, dict) else status
    print(f"wic benefits: refused ({status} {code}): "
          f"{body.get('reason', '') if isinstance(body, dict) else body}", file=sys.stderr)
    return 1


def _guarded(func: Any) -> Any:
    def call(args: argparse.Namespace) -> int:
        if not args.token:
            print("wic benefits: no staff token: give --token or set WIC_TOKEN (locally: "
                  "`wic users add NAME --role finance --region 370000`)", file=sys.stderr)
            return 2
        try:
            return int(func(args))
        except TimeoutError as exc:
            print(f"wic benefits: {exc}", file=sys.stderr)
            return 3
    return call


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "benefits", help="benefits (待遇): the monthly payment run, a worker's benefits",
        description="Run the monthly benefit payments and look at what a worker is owed and "
        "paid, through the benefits service's API as the staff member the token names.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="benefits_command", metavar="ACTION", required=True)

    def action(name: str, help: str, func: Any) -> argparse.ArgumentParser:
        a = sub.add_parser(name, help=help, description=help, epilog=EXAMPLES,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        a.add_argument("--token", default=os.environ.get("WIC_TOKEN"),
                       help="the staff bearer token (default $WIC_TOKEN)")
        a.add_argument("--url", default=benefits_url(),
                       help="the benefits service (default $WIC_BENEFITS_URL or "
                       f"http://127.0.0.1:{BENEFITS_PORT})")
        a.set_defaults(func=_guarded(func))
        return a

    r = action("run", "make a month's payment run (finance): one payment per person, "
               "benefit and month, arrears for late facts", run)
    r.add_argument("--month", type=month_arg, required=True, help="the run's month, YYYY-MM")
    r.add_argument("--on", type=date.fromisoformat, default=_today(),
                   help="the business day of the run (default: today in China)")
    r.add_argument("--rerun", action="store_true",
                   help="a month already run: pay only what changed since (late facts)")
    m = action("runs", "a month's runs: payments, reversals, totals by benefit", runs)
    m.add_argument("--month", type=month_arg, required=True, help="YYYY-MM")
    s = action("show", "a worker's entitlements for a month, payments and claims", show)
    s.add_argument("worker", help="the worker's resident id")
    s.add_argument("--as-of", type=date.fromisoformat, default=None,
                   help="YYYY-MM-DD: that month's entitlements, payments made up to it")
