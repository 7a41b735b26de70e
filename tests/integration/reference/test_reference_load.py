"""`wic reference load` against the real broker: publishes once, a second load adds nothing."""

from __future__ import annotations

import pytest

from contracts import topics
from contracts.settings import Settings
from ops.cli import main
from ops.reference import files_under, publish, read_envelopes
from tests.support.kafka import Bus
from tests.unit.encounter.samples import SAMPLE

pytestmark = pytest.mark.integration


async def test_load_twice_publishes_each_version_once(prefix: str, bootstrap: str, bus: Bus
                                                      ) -> None:
    settings = Settings(bootstrap, "unused", prefix)
    envs = read_envelopes(files_under(SAMPLE))
    assert await publish(envs, settings) == (len(envs), 0)
    assert await publish(read_envelopes(files_under(SAMPLE)), settings) == (0, len(envs))
    seen = await bus.read(topics.REFERENCE_DATA, lambda s: len(s) >= len(envs))
    assert len(seen) == len(envs) == len({e.event_id for e in seen})
    assert all(e.key == envs[i].key for i, e in enumerate(seen))


def test_cli_dry_run_validates_without_publishing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reference", "load", str(SAMPLE), "--dry-run"]) == 0
    assert "dry run" in capsys.readouterr().out
    assert main(["reference", "load", str(SAMPLE / "missing.yaml"), "--dry-run"]) == 1
