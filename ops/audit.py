"""`wic audit`: who did what, from every service's `GET /audit`, merged by business time.

Each service keeps the audit trail of its own topics (`contracts.runtime.audit_trail`);
this asks them all with the same filters (at the ports `wic health` uses, or `--url`),
merges the entries by business time then log position, and prints a table or JSON. A
service that does not answer is named on stderr and the exit status is 1: an audit with a
service missing is incomplete, never silently shorter.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from contracts.audit import SUBJECTS
from contracts.business_time import CHINA
from infra.migrate import SERVICES
from ops.lag import HEALTH_PORTS

EPILOG = """\
examples:
  export WIC_TOKEN=$(wic users add qian.hui --role auditor --region 370000)
  wic audit --worker-id 370102198501010011          everything done about one worker
  wic audit --actor staff:zhang.wei --from 2024-05-01 --until 2024-06-01
  wic audit --cycle-id '2024-05:370100|370200' --json
  wic audit --service clearing --limit 500
  wic audit --url settlement=http://10.0.0.7:18083  a service somewhere else

--from/--until are business time: an ISO instant with a zone, or a day (YYYY-MM-DD,
midnight in Beijing); --from is inclusive, --until exclusive. ACTOR is "-" for acts
recorded without one (before actors existed, or by the system itself); a refusal shows
as "refused <type> (<reason code>)".

exit status: 0 if every service asked answered, 1 if one did not (the others' entries are
still printed), 2 if a service refused the filters or the token (its reason is printed),
or no token was given. The trails are read by auditors and operators only (issue 16).
"""

Fetch = Callable[[str], tuple[int, Any]]


def _get(url: str, token: str | None = None) -> tuple[int, Any]:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"}
                                 if token else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read())
        except ValueError:
            return exc.code, {"reason_code": f"http_{exc.code}", "reason": str(exc.reason)}


@dataclass
class Merged:
    entries: list[dict[str, Any]] = field(default_factory=list)
    silent: dict[str, str] = field(default_factory=dict)  # service -> why it did not answer
    refused: dict[str, str] = field(default_factory=dict)  # service -> reason code: reason
    more: list[str] = field(default_factory=list)  # services with entries past the limit


def day_or_instant(value: str) -> str:
    """A day means its midnight in Beijing (business time); an instant passes as given."""
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return datetime.fromisoformat(value).replace(tzinfo=CHINA).isoformat()
    return value


def collect(urls: Mapping[str, str], params: Mapping[str, str], limit: int,
            fetch: Fetch = _get) -> Merged:
    """Ask each service (in parallel) for up to `limit` entries; merge the first `limit`."""
    query = urllib.parse.urlencode({**params, "limit": str(limit)})

    def ask(service: str) -> tuple[str, tuple[int, Any] | OSError]:
        try:
            return service, fetch(f"{urls[service].rstrip('/')}/audit?{query}")
        except (OSError, ValueError) as exc:  # refused, timed out, not JSON
            return service, OSError(str(getattr(exc, "reason", exc)))

    out = Merged()
    with ThreadPoolExecutor(max_workers=len(urls) or 1) as pool:
        answers = list(pool.map(ask, urls))
    for service, answer in answers:
        if isinstance(answer, OSError):
            out.silent[service] = f"{urls[service]}: {answer}"
            continue
        status, body = answer
        if status != 200:
            code = body.get("reason_code", status) if isinstance(body, dict) else status
            why = body.get("reason", "") if isinstance(body, dict) else ""
            target = out.refused if 400 <= status < 500 else out.silent
            target[service] = f"{code}: {why}"
            continue
        out.entries += body["entries"]
        if body.get("next_cursor"):
            out.more.append(service)
    out.entries.sort(key=_order)
    if len(out.entries) > limit:
        out.entries = out.entries[:limit]
    return out


def _order(entry: Mapping[str, Any]) -> tuple[datetime, str, int, int]:
    return (datetime.fromisoformat(entry["occurred_at"]), entry["topic"], entry["partition"],
            entry["offset"])


def action(entry: Mapping[str, Any]) -> str:
    if entry.get("reason_code"):
        return f"refused {entry.get('refused_type') or '(unreadable)'} ({entry['reason_code']})"
    return str(entry["event_type"])


def subject(entry: Mapping[str, Any]) -> str:
    return " ".join(f"{name.removesuffix('_id')}={entry[name]}" for name in SUBJECTS
                    if entry.get(name)) or "-"


def table(entries: Sequence[Mapping[str, Any]]) -> list[str]:
    rows = [("TIME (Beijing)", "SERVICE", "ACTOR", "ACTION", "SUBJECT")]
    for e in entries:
        when = datetime.fromisoformat(e["occurred_at"]).astimezone(CHINA)
        actor = e["actor"]["id"] if e.get("actor") else "-"
        rows.append((when.strftime("%Y-%m-%d %H:%M:%S"), e["service"], actor, action(e),
                     subject(e)))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return ["  ".join([*(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)), r[4]])
            for r in rows]


def urls_for(host: str, overrides: Sequence[str], services: Sequence[str]) -> dict[str, str]:
    urls = {s: f"http://{host}:{HEALTH_PORTS[s]}" for s in services}
    for spec in overrides:
        name, sep, url = spec.partition("=")
        if not sep or name not in HEALTH_PORTS:
            raise SystemExit(f"wic audit: --url {spec!r}: expected SERVICE=URL with SERVICE "
                             f"one of {', '.join(SERVICES)}")
        if name in urls:
            urls[name] = url
    return urls


def audit(urls: Mapping[str, str], params: Mapping[str, str], limit: int = 100,
          as_json: bool = False, out: TextIO | None = None, err: TextIO | None = None,
          fetch: Fetch = _get) -> int:
    """The `wic audit` command; returns the exit status."""
    out, err = out or sys.stdout, err or sys.stderr
    merged = collect(urls, params, limit, fetch)
    for service, why in merged.refused.items():
        print(f"wic audit: {service} refused the query: {why}", file=err)
    if merged.refused:
        return 2
    if as_json:
        print(json.dumps({"entries": merged.entries, "not_answering": merged.silent,
                          "more": merged.more}, ensure_ascii=False, indent=1), file=out)
    else:
        for line in table(merged.entries):
            print(line.rstrip(), file=out)
        print(f"{len(merged.entries)} entr{'y' if len(merged.entries) == 1 else 'ies'} from "
              f"{', '.join(s for s in urls if s not in merged.silent) or 'no service'}",
              file=out)
    if merged.more:
        print(f"wic audit: more entries than --limit {limit} ({', '.join(merged.more)}): "
              "narrow the filters or raise --limit", file=err)
    for service, why in merged.silent.items():
        print(f"wic audit: {service} DID NOT ANSWER ({why}); its entries are missing",
              file=err)
    return 1 if merged.silent else 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "audit", help="who did what: every service's audit trail, merged by time",
        description="Ask every service's GET /audit with the same filters, merge the "
        "entries by business time (then log position) and print time, service, actor, "
        "action and subject; or --json. Each entry is an event or a refusal on the "
        "service's own topics, with the actor the ingress authenticated.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--actor", metavar="ID", help="the actor's id, e.g. staff:zhang.wei")
    for name in SUBJECTS:
        p.add_argument(f"--{name.replace('_', '-')}", dest=name, metavar="ID",
                       help=f"only acts about this {name.removesuffix('_id')}")
    p.add_argument("--from", dest="since", metavar="WHEN", type=day_or_instant,
                   help="business time, inclusive (ISO instant with zone, or YYYY-MM-DD)")
    p.add_argument("--until", metavar="WHEN", type=day_or_instant,
                   help="business time, exclusive")
    p.add_argument("--limit", type=int, default=100, metavar="N",
                   help="at most N entries in all, 1..1000 (default 100)")
    p.add_argument("--service", action="append", choices=SERVICES, default=[],
                   help="ask only this service (repeatable; default: all five)")
    p.add_argument("--host", default="127.0.0.1",
                   help="where the services run, at their default ports (default 127.0.0.1)")
    p.add_argument("--url", action="append", default=[], metavar="SERVICE=URL",
                   help="a service's base URL, instead of --host and its default port")
    p.add_argument("--json", action="store_true", help="the merged entries as JSON")
    p.add_argument("--token", default=os.environ.get("WIC_TOKEN"),
                   help="the staff bearer token of an auditor or operator (default "
                   "$WIC_TOKEN): the audit trail is read only by them (docs/security.md)")
    p.set_defaults(func=_cli)


def _cli(args: argparse.Namespace) -> int:
    if not args.token:
        print("wic audit: no staff token: give --token or set WIC_TOKEN (locally: "
              "`wic users add NAME --role auditor --region 370000`)", file=sys.stderr)
        return 2
    params = {name: value for name in ("actor", *SUBJECTS)
              if (value := getattr(args, name)) is not None}
    params.update({k: v for k, v in (("from", args.since), ("until", args.until)) if v})
    urls = urls_for(args.host, args.url, args.service or SERVICES)
    return audit(urls, params, args.limit, args.json,
                 fetch=functools.partial(_get, token=args.token))
