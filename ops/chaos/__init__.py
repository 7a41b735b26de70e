"""`wic chaos`: the month's traffic while services are SIGKILLed and the stack restarted.

Proves issue 14 ("What to build" 1 and 3): nothing lost, nothing doubled, and every
service recovers by itself. It starts a private Kafka broker and PostgreSQL under
`.local/chaos-<tag>/` on free loopback ports in 22000-29999 (the shared stack of `wic up`
is never touched), the four services, and drives registrations, hospital encounters with
lines and corrections, reimbursement claims, signed gateway claims and the month's
clearing close. Meanwhile it SIGKILLs a random service at a random moment and starts it
again, K times, and restarts the broker and PostgreSQL once each, mid-stream. One step
reproduces issue 14 finding 1 (encounter stopped, a burst, started, SIGKILLed just after
/health answers 200, started again).

At the end it checks, from the log and the public interfaces: every input answered (a
reply or a dead letter naming it), every discharged encounter settled exactly once per
revision (distinct event ids: deduplication never hides a second settlement), every
settlement and reversal posted once, the ledger and every cycle's nets summing to zero,
and `wic verify`. It prints the faults, the time each service took to serve again, the
messages sent, and the lost and duplicated counts; exit status 1 if any invariant fails
(the private stack's files are then kept for inspection). Everything is seeded: the same
--seed gives the same traffic and the same fault plan (docs/operations.md, "Chaos").
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from types import FrameType

EPILOG = """\
examples:
  wic chaos                                  100 encounters, 6 SIGKILLs, broker + PostgreSQL
  wic chaos --seed 7 --encounters 1000 --kills 10
  wic chaos --encounters 10000 --kills 12 --max-seconds 1500   (or `wic bench chaos`)
  wic chaos --shared                         the shared stack (own prefix and database):
                                             SIGKILLs only, no broker/PostgreSQL restart
  wic chaos --brokers 3                      a private 3-broker cluster; one broker (the
                                             ledger's leader) SIGKILLed mid-stream
"""


def add_options(p: argparse.ArgumentParser, encounters: int, kills: int, seconds: float
                ) -> None:
    p.add_argument("--seed", type=int, default=14, help="seeds traffic and faults (14)")
    p.add_argument("--encounters", type=int, default=encounters, metavar="N",
                   help=f"generic inpatient stays, beside the demo's named ones ({encounters})")
    p.add_argument("--kills", type=int, default=kills, metavar="K",
                   help=f"SIGKILLs of a random service at a random moment ({kills})")
    p.add_argument("--max-seconds", type=float, default=seconds, metavar="T",
                   help=f"give up (and fail) after T seconds ({seconds:.0f})")
    p.add_argument("--burst", type=int, default=3000, metavar="M",
                   help="hospital messages of the issue 14 finding 1 step, taken from the "
                   "encounters' (5 per stay; 3000; 0 = skip)")
    p.add_argument("--no-stack-restart", action="store_true",
                   help="do not restart the broker and PostgreSQL")
    p.add_argument("--shared", action="store_true",
                   help="use the shared stack of `wic up` (own prefix and database) instead "
                   "of a private one; the broker and PostgreSQL are then never restarted")
    p.add_argument("--brokers", type=int, choices=(1, 3), default=1,
                   help="3: the private Kafka is a three-node KRaft cluster (replication 3, "
                   "min.insync.replicas=2) and its broker fault SIGKILLs the ledger's leader "
                   "mid-stream, traffic never paused (issue 17; 1)")
    p.add_argument("--keep", action="store_true",
                   help="keep the private stack, topics and database afterwards")


def options(args: argparse.Namespace) -> object:
    from ops.chaos.run import Options

    if args.encounters < 0 or args.kills < 0 or args.max_seconds <= 0 or args.burst < 0:
        raise SystemExit("wic chaos: --encounters, --kills, --burst >= 0, --max-seconds > 0")
    if args.brokers != 1 and args.shared:
        raise SystemExit("wic chaos: --brokers 3 needs the private stack (not --shared)")
    return Options(seed=args.seed, encounters=args.encounters,
                   kills=args.kills, max_seconds=args.max_seconds, burst=args.burst,
                   restart_stack=not args.no_stack_restart, private=not args.shared,
                   keep=args.keep, brokers=getattr(args, "brokers", 1))


def command(args: argparse.Namespace) -> int:
    from ops.chaos.run import ChaosFailed, Options, main, report

    opts = options(args)
    assert isinstance(opts, Options)
    signal.signal(signal.SIGTERM, _interrupt)  # `timeout`, CI: clean up as on Ctrl-C
    try:
        out = asyncio.run(main(opts))
    except ChaosFailed as exc:
        print(f"wic chaos: FAILED: {exc}")
        return 1
    print(report(opts, out))
    return 0 if out.ok else 1


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "chaos", help="SIGKILL services and restart the broker and PostgreSQL under "
        "traffic, then prove nothing was lost or doubled", description=__doc__,
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_options(p, encounters=100, kills=6, seconds=900.0)
    p.set_defaults(func=command)
