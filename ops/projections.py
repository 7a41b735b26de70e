"""Find the services' read models: their projections, tables, checks and migrations.

Each service may export from `services/<svc>/adapters/projection.py`:
  PROJECTIONS  projection objects (`.name`, `.topics`, `async apply(conn, envelope)`;
               optionally `async apply_many(conn, envelopes)`, see contracts.runtime.projection)
  TABLES       the read-model tables of its schema (digested by replay/verify)
  CHECKS       optional async callables `(conn) -> list[str]` of problems (e.g. ledger sums)
A service whose module is missing or broken is skipped with a note, not an error: the
operator tools stay usable while a service is being written or is broken.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from contracts.runtime.projection import Projection
from infra.migrate import SERVICES, services_dir

Check = Callable[[Any], Awaitable[list[str]]]


@dataclass(frozen=True)
class ReadModel:
    """One service's read model: its live schema and how to rebuild it."""

    service: str  # also the live schema's name
    projections: Sequence[Projection]
    tables: Sequence[str]
    sql_files: Sequence[Path]
    checks: Sequence[Check] = field(default_factory=tuple)

    def projection(self, name: str) -> Projection | None:
        return next((p for p in self.projections if p.name == name), None)


def sql_files(service: str, base: Path | None = None) -> list[Path]:
    """The same migration files `infra/migrate.py` applies, in the same order."""
    sql_dir = (base or services_dir()) / service / "adapters" / "sql"
    return sorted(sql_dir.glob("*.sql")) if sql_dir.is_dir() else []


def load(service: str) -> ReadModel:
    """Import one service's projection module; raises ImportError/AttributeError if absent."""
    module = importlib.import_module(f"services.{service}.adapters.projection")
    projections = list(module.PROJECTIONS)
    tables = [t for t in module.TABLES if t != "checkpoints"]
    checks = list(getattr(module, "CHECKS", []))
    return ReadModel(service, projections, tables, sql_files(service), checks)


def discover(notes: list[str] | None = None) -> list[ReadModel]:
    """Every service's read model that can be loaded; why the others were skipped in `notes`."""
    found: list[ReadModel] = []
    for service in SERVICES:
        try:
            found.append(load(service))
        except ModuleNotFoundError as exc:
            if notes is not None:
                notes.append(f"{service}: no read model yet ({exc.name} not found), skipped")
        except Exception as exc:  # a broken service must not disable the operator tools
            if notes is not None:
                notes.append(f"{service}: read model not loadable ({type(exc).__name__}: "
                             f"{exc}), skipped")
    return found


@dataclass(frozen=True)
class Selection:
    """What to rebuild of one read model: some or all of its projections."""

    model: ReadModel
    projections: Sequence[Projection]

    @property
    def complete(self) -> bool:
        """All projections of the service: the rebuilt schema can replace the live one."""
        return len(self.projections) == len(self.model.projections)

    @property
    def tables(self) -> list[str] | None:
        """The tables these projections write; None if that cannot be told apart.

        A projection may declare its own `tables`; otherwise only a whole service's
        rebuild says which tables it owns (its `TABLES`).
        """
        if self.complete:
            return list(self.model.tables)
        declared = [getattr(p, "tables", None) for p in self.projections]
        if all(d is not None for d in declared):
            return sorted({t for d in declared for t in (d or [])})
        return None

    def whole(self) -> Selection:
        return Selection(self.model, list(self.model.projections))


def select(models: Sequence[ReadModel], target: str) -> list[Selection]:
    """`all`, a service name, or a projection name -> what to rebuild, grouped by service."""
    if target == "all":
        return [Selection(m, list(m.projections)) for m in models]
    for m in models:
        if m.service == target:
            return [Selection(m, list(m.projections))]
    for m in models:
        p = m.projection(target)
        if p is not None:
            return [Selection(m, [p])]
    known = sorted({m.service for m in models} | {p.name for m in models for p in m.projections})
    raise LookupError(f"no projection or service named {target!r}; known: "
                      f"{', '.join(known) or '(none discovered)'}")


def resolve(command: str, target: str, models: Sequence[ReadModel] | None, err: TextIO
            ) -> list[Selection] | None:
    """The common start of `wic replay` and `wic verify`, kept in one place so both report
    skipped services and unknown targets alike: discover the read models (unless `models`
    is given, as tests do), print why any were skipped, select `target`. None, after
    printing why to `err`, when `target` names nothing (the command then exits 2)."""
    notes: list[str] = []
    found = list(models) if models is not None else discover(notes)
    for note in notes:
        print(f"note: {note}", file=err)
    try:
        return select(found, target)
    except LookupError as exc:
        print(f"wic {command}: {exc}", file=err)
        return None
