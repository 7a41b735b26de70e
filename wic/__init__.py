"""The `wic` command: the operator's commands (`ops`, `infra`) and the benchmarks (`bench`).

Only this package sees both: `ops` never imports `bench` (`bench` measures with `ops`).
"""
