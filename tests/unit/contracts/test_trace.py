"""The admission trace (docs/performance.md, "Fifth round: the admission answer"): marks of
the admissions the ingress watches only, and nothing at all while it is off."""

from __future__ import annotations

import pathlib

import orjson

from contracts.runtime.trace import Tracer


def test_only_watched_admissions_are_marked(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "t.trace"
    tracer = Tracer(str(path))
    tracer.watch("a")
    tracer.mark("ingress.send", "a", 1.5)
    tracer.mark("ingress.send", "b", 1.5)  # background traffic: not traced
    assert tracer.id_of(orjson.dumps({"event_id": "a"})) == "a"
    assert tracer.id_of(orjson.dumps({"event_id": "b"})) is None
    tracer.forget("a")
    tracer.mark("ingress.answered", "a", 2.0)  # answered and forgotten: no more marks
    assert path.read_text() == "a ingress.send 1.500000\n"


def test_off_it_writes_and_parses_nothing() -> None:
    tracer = Tracer(None)
    tracer.watch("a")
    tracer.mark("ingress.send", "a")
    assert not tracer.ids and tracer.id_of(orjson.dumps({"event_id": "a"})) is None
