"""Export JSON Schema for every registered message into `contracts/schemas/`.

Outside producers (hospital systems, other provinces' gateways) validate against these
files. `python -m contracts.export` writes them; `--check` exits 1 if the committed files
are stale (the test suite runs the check).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from contracts import catalog  # noqa: F401  (fills the registry)
from contracts.envelope import Envelope
from contracts.message import registered

SCHEMA_DIR = Path(__file__).parent / "schemas"


def schema_for(message_type: str, version: int) -> dict[str, Any]:
    model = registered()[(message_type, version)]
    envelope = Envelope[model].model_json_schema()  # type: ignore[valid-type]
    props = envelope["properties"]
    props["type"] = {"const": message_type, "type": "string"}
    props["schema_version"] = {"const": version, "type": "integer"}
    envelope["title"] = f"{message_type} v{version}"
    envelope["description"] = (model.__doc__ or "").strip()
    envelope["x-message-kind"] = model.message_kind
    envelope["x-module"] = model.__module__
    return envelope


def render() -> dict[str, str]:
    files = {}
    for (mtype, version) in sorted(registered()):
        body = json.dumps(schema_for(mtype, version), indent=2, sort_keys=True, ensure_ascii=False)
        files[f"{mtype}.v{version}.json"] = body + "\n"
    return files


def stale(directory: Path = SCHEMA_DIR) -> list[str]:
    wanted = render()
    existing = {p.name: p.read_text() for p in directory.glob("*.json")}
    problems = [name for name, body in wanted.items() if existing.get(name) != body]
    problems += [name for name in existing if name not in wanted]
    return sorted(problems)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contracts.export", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if files are stale")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale()
        for name in problems:
            print(f"stale or missing: contracts/schemas/{name}", file=sys.stderr)
        if problems:
            print("run `python -m contracts.export` and commit the result", file=sys.stderr)
        return 1 if problems else 0
    SCHEMA_DIR.mkdir(exist_ok=True)
    for old in SCHEMA_DIR.glob("*.json"):
        old.unlink()
    for name, body in render().items():
        (SCHEMA_DIR / name).write_text(body)
    print(f"wrote {len(render())} schemas to {SCHEMA_DIR}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
