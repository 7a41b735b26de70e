"""`wic demo`: the main job — a realistic month of off-site work-injury treatment.

Starts the stack and the five services, loads the sample reference data, and drives May
2024: registrations of the three types (some refused, one changed, one expiring), hospital
traffic inside Shandong and across provinces (inpatient, outpatient, rehabilitation,
devices; lines over standard, not injury-related, out of catalog; a third-party case; a
correction after discharge; a pre-settlement checked against the final settlement),
reimbursement claims with deadlines, prepayments, benefits, a cross-provincial gateway
exchange with one refusal, and the month's clearing close (a statement CSV and a settlement
slip PDF written to the run's directory, the file's totals checked against the JSON). It
prints the clearing statement per region and institution and the prepayment positions,
then proves that a rebuild of every read model from offset zero reproduces them.
"""

from __future__ import annotations

import argparse
import asyncio

EPILOG = """\
examples:
  wic demo                  the default month (about 60 encounters; a couple of minutes)
  wic demo --size 200       a larger month for demonstrations
  wic demo --keep-running   leave the four services up afterwards to query them
  wic demo --workers 2 --size 4
                            two workers of every service (issue 17): queries asked of
                            each worker, the hospital's HTTP admission of the last one
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("demo", help="run a realistic month end to end, then prove it "
                              "by replay", description=__doc__, epilog=EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", type=int, default=50, metavar="N",
                   help="extra generic workers with an inpatient stay each (default 50)")
    p.add_argument("--keep-running", action="store_true",
                   help="leave the services running when the demo ends")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="workers per service, one consumer group each (default 1; clearing's "
                   "extra workers stand by for the ledger lease)")
    p.add_argument("--verbose", action="store_true", help="print every answer, not only "
                   "the first 40 of each phase and every unexpected one")
    p.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    from infra import stack
    from ops.demo.run import main

    stack.up()
    if args.workers < 1:
        raise SystemExit("wic demo: --workers must be at least 1")
    return asyncio.run(main(args.size, args.keep_running, args.verbose, args.workers))
