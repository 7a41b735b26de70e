"""Hospitals' HTTP credentials for clearing's reconciliation door (3201/3202): the latest
`InstitutionCredentialPublished` per institution, followed on `reference-data` (only the
SHA-256 of a token is ever published). The ledger decides nothing with reference data;
this serves authentication only, as encounter's book serves its hospital ingress."""

from __future__ import annotations

import asyncio
import logging

import faust
from aiokafka import ConsumerRecord

from contracts import topics, wire
from contracts.reference import OPERATOR_SOURCE, InstitutionCredentialPublished, written_by
from contracts.runtime.topic_reader import TopicReader
from contracts.settings import Settings

log = logging.getLogger(__name__)


class Credentials:
    def __init__(self) -> None:
        self._digests: dict[str, str | None] = {}  # institution -> latest token digest
        self.ready = asyncio.Event()

    def add(self, payload: object, source: str = OPERATOR_SOURCE) -> None:
        """A credential counts only as the operator published it (`written_by`): the
        co-writer of reference-data (encounter's mapping door) can never add one."""
        if isinstance(payload, InstitutionCredentialPublished) and written_by(source, payload):
            self._digests[payload.institution_id] = payload.token_sha256

    def institution_for_token(self, token_sha256: str) -> str | None:
        """Which institution holds this credential now (None: unknown or revoked)."""
        for institution, digest in self._digests.items():
            if digest is not None and digest == token_sha256:
                return institution
        return None

    async def follow(self, settings: Settings) -> None:
        def add(rec: ConsumerRecord[bytes, bytes]) -> None:
            try:
                env = wire.decode(rec.value)
                self.add(env.payload, env.source)
            except wire.WireError as exc:  # the operator tool validates; never stop
                log.error("reference-data@%s undecodable: %s", rec.offset, exc)

        reader = TopicReader.of(settings.bootstrap, topics.REFERENCE_DATA,
                                settings.topic_prefix)
        try:
            await reader.read_to_end(add)
            self.ready.set()
            await reader.follow(add)
        finally:
            await reader.stop()


def register(app: faust.App, settings: Settings) -> Credentials:
    """Follow the credentials as a background task of `app`."""
    credentials = Credentials()

    @app.task
    async def follow_credentials() -> None:
        await credentials.follow(settings)

    return credentials
