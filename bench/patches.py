"""Run a service with prototype fixes applied, to measure them before their owners adopt them.

    python -m bench.patches FIX[,FIX…] services.<name> worker -l warn

`wic bench … --fixes FIX,…` starts every service this way. Nothing here changes a file of
a service: the fixes are applied in the process, and each is described in
docs/performance.md with the change its owner would make.

Fixes:
  cached-ids      memoize stdnum's birth-place lookup in resident-id validation (exact: it
                  depends on digits 1-6 and the birth year only) — contracts/types.py
  ref-fetch-wait  settlement's reference-data consumer with fetch_max_wait_ms=10: its
                  `end_offsets()` call per discharge waited for the consumer's 500 ms
                  long-poll fetch — services/settlement/adapters/reference.py
  rocksdb         faust tables in RocksDB (rocksdict) instead of memory: a restart reads only
                  the changelog written since the local store's offsets —
                  contracts/runtime/faust_app.py (needs `pip install rocksdict`)
"""

from __future__ import annotations

import runpy
import sys
import types
from typing import Any

FIXES = ("cached-ids", "ref-fetch-wait", "rocksdb")


def cached_ids() -> None:
    from bench.fastproj import cached_birth_places

    cached_birth_places().__enter__()  # for the life of the process


def ref_fetch_wait() -> None:
    import aiokafka

    try:
        import services.settlement.adapters.reference as ref
    except ImportError:
        return

    class QuickConsumer(aiokafka.AIOKafkaConsumer):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("fetch_max_wait_ms", 10)
            super().__init__(*args, **kwargs)

    ref.AIOKafkaConsumer = QuickConsumer


def rocksdb() -> None:
    import faust

    import contracts.runtime.faust_app as fa

    class RocksApp(faust.App):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["store"] = "rocksdb://"
            super().__init__(*args, **kwargs)

    shim = types.ModuleType("faust")
    shim.__dict__.update({k: getattr(faust, k) for k in dir(faust) if not k.startswith("__")})
    shim.App = RocksApp  # type: ignore[attr-defined]
    fa.faust = shim


def main() -> None:
    fixes, module, *rest = sys.argv[1:]
    for fix in filter(None, fixes.split(",")):
        if fix not in FIXES:
            raise SystemExit(f"unknown fix {fix!r}; known: {', '.join(FIXES)}")
        {"cached-ids": cached_ids, "ref-fetch-wait": ref_fetch_wait, "rocksdb": rocksdb}[fix]()
    sys.argv = [module, *rest]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
