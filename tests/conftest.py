"""Fixtures shared by the integration and e2e layers (unit tests need none of them).

Each test module gets its own topic prefix (topics created from the registry) and its own
migrated database, so tests never see each other's messages or rows. If the stack is not
up, tests fail at once with the command to run, instead of hanging.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from contracts.settings import load
from tests.support.database import create_database, drop_database
from tests.support.kafka import Bus, check_broker

# The test process stands in for every outside party (hospitals, agencies, gateways) and
# creates each module's topics and ACLs, so it is `admin` (a super user); every service it
# starts as a process presents its own principal (infra.services), and the ACL tests
# (tests/integration/test_acl.py) act as the principals whose refusals they check.
os.environ.setdefault("WIC_KAFKA_PRINCIPAL", "admin")

ROOT = Path(__file__).resolve().parents[1]
LOG_DIR = ROOT / ".local" / "test-logs"


@pytest.fixture(scope="session")
def bootstrap() -> str:
    return load().bootstrap


@pytest.fixture(scope="module")
async def prefix(request: pytest.FixtureRequest, bootstrap: str) -> AsyncIterator[str]:
    from infra.topics import delete_topics, ensure_topics

    await check_broker(bootstrap)
    hint = re.sub(r"[^a-z0-9]", "", request.module.__name__.rsplit(".", 1)[-1].lower())[:20]
    value = f"t-{hint}-{uuid.uuid4().hex[:6]}."
    await ensure_topics(bootstrap, value)
    yield value
    await delete_topics(bootstrap, value)


@pytest.fixture(scope="module")
async def database_url(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    from infra.migrate import migrate

    hint = re.sub(r"[^a-z0-9]", "", request.module.__name__.rsplit(".", 1)[-1].lower())[:20]
    try:
        url = await create_database(hint)
    except OSError as exc:
        pytest.fail(f"PostgreSQL is not running: run `make up` ({exc})")
    await migrate(url)
    yield url
    await drop_database(url)


@pytest.fixture(scope="module")
async def bus(bootstrap: str, prefix: str) -> AsyncIterator[Bus]:
    b = Bus(bootstrap, prefix)
    await b.start()
    yield b
    await b.stop()


@pytest.fixture(scope="session")
def log_dir() -> Path:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    return LOG_DIR
