"""A benchmark's own corner of the local stack: topic prefix, database, service processes.

Everything is created for one run and deleted at its end (topics with the run's prefix,
including faust's changelog topics; the database; the faust data directory), so a
benchmark never touches what tests or other engineers use on the same broker.
"""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from contracts.settings import Settings, load
from infra import databases
from infra.layout import ROOT
from infra.services import ServiceProcess

LOG_ROOT = ROOT / ".local" / "bench"
READY_TIMEOUT = 900.0  # seconds a service may take to recover its tables (1,000,000 workers)


@dataclass
class BenchEnv:
    """Prefix + database + data dir of one run; `close()` deletes all of them."""

    prefix: str
    database_url: str
    settings: Settings
    data_dir: Path
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    profile: bool = False  # services run under pyinstrument (reports in <data_dir>/profiles)

    @classmethod
    async def create(cls) -> BenchEnv:
        from infra.topics import ensure_topics

        base = load()
        tag = f"{int(time.time())}{uuid.uuid4().hex[:4]}"
        prefix = f"bench-{tag}."
        url = await databases.create(f"bench_{tag}", base.database_url)
        await ensure_topics(base.bootstrap, prefix)
        settings = Settings(bootstrap=base.bootstrap, database_url=url, topic_prefix=prefix)
        return cls(prefix, url, settings, LOG_ROOT / prefix.rstrip("."))

    def service(self, name: str) -> ServiceProcess:
        """The run's process of one service (logs and faust data under `data_dir`); `name#i`
        is the service's worker i (`infra.services.worker_key`)."""
        if name not in self.services:
            service, _, worker = name.partition("#")
            self.services[name] = ServiceProcess(
                service, self.prefix, self.database_url, self.settings.bootstrap,
                self.data_dir, profile_dir=self.data_dir / "profiles" if self.profile else None,
                worker=int(worker or 0))
        return self.services[name]

    async def close(self, keep_logs: bool = True) -> None:
        from infra.topics import delete_topics

        for svc in self.services.values():
            svc.stop(grace=30.0)
        await delete_topics(self.settings.bootstrap, self.prefix)
        await databases.drop(self.database_url)
        shutil.rmtree(self.data_dir / "faust", ignore_errors=True)
        if not keep_logs:
            shutil.rmtree(self.data_dir, ignore_errors=True)
