"""`wic bench chaos`: the long chaos run as a benchmark row (issue 14, "What to build" 2).

The same code as `wic chaos` (ops/chaos), at benchmark size: by default 10,000 generic
encounters (plus the demo's named ones), 12 SIGKILLs of random services, the broker and
PostgreSQL restarted once each, and the issue 14 finding 1 step with a 3,000-message burst.
Figures, seed and command are recorded in docs/performance.md, "Chaos run".
"""

from __future__ import annotations

import argparse
import asyncio

from ops.chaos.run import ChaosFailed, Options, main, report


def run(args: argparse.Namespace) -> int:
    opts = Options(seed=args.seed, encounters=args.encounters, kills=args.kills,
                   max_seconds=args.max_seconds, burst=3000)
    try:
        out = asyncio.run(main(opts))
    except ChaosFailed as exc:
        print(f"wic bench chaos: FAILED: {exc}")
        return 1
    print(report(opts, out))
    if out.findings is not None and out.seconds > 0:
        print(f"throughput under chaos: {out.sent / out.seconds:,.0f} messages/s answered "
              f"end to end ({out.sent:,} messages in {out.seconds:.0f} s, stack start, "
              "checks and wic verify included)")
    return 0 if out.ok else 1
