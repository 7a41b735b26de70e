"""The clearing service does not start without its gateway keys (issue 16, part 7): no
default points into the repository; `python -m services.clearing worker` exits 2 with one
line naming the variable and the path, before it connects to anything.

The same command with the generated keys starts: every other clearing test runs it so."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.gateway_keys import dev_keys
from tests.support.processes import ROOT

KEYS, PRIVATE = "WIC_GATEWAY_KEYS", "WIC_GATEWAY_PRIVATE_KEY_FILE"


def start(tmp_path: Path, **gateway: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in (KEYS, PRIVATE)}
    env.update(gateway, WIC_DATA_DIR=str(tmp_path / "faust"), WIC_WEB_PORT="1")
    return subprocess.run([sys.executable, "-m", "services.clearing", "worker", "-l", "warn"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def refused(run: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert run.returncode == 2, (run.returncode, run.stderr[-2000:])
    assert run.stderr.startswith("clearing: not started: "), run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    for text in expected:
        assert text in run.stderr, (text, run.stderr)


def test_without_any_key_configuration(tmp_path: Path) -> None:
    refused(start(tmp_path), f"{KEYS} is not set", "wic keys generate")


@pytest.mark.parametrize("missing", [KEYS, PRIVATE])
def test_with_a_key_file_that_is_not_there(tmp_path: Path, missing: str) -> None:
    gateway = dev_keys().service_env()
    gateway[missing] = str(tmp_path / "nowhere" / "gone.json")
    refused(start(tmp_path, **gateway), f"{missing}={gateway[missing]}: cannot read",
            "No such file")


def test_with_our_private_key_unset(tmp_path: Path) -> None:
    gateway = dev_keys().service_env()
    del gateway[PRIVATE]
    refused(start(tmp_path, **gateway), f"{PRIVATE} is not set")
