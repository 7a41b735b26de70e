"""The reference data the service has read from `reference-data`, asked "as of day D".

Every version is kept; a question names the business date and gets the version in force then
(`contracts.reference.in_force`), so a replay decides exactly as the live run did.
"""

from __future__ import annotations

import uuid
from datetime import date

from contracts.message import Message
from contracts.reference import (
    CatalogKind,
    CatalogPublished,
    CodeMappingPublished,
    InstitutionCredentialPublished,
    InstitutionPublished,
    PilotConfigured,
    dataset_key,
    in_force,
    mapping_key,
)

CROSS_PROVINCIAL_SCHEME = "cross-provincial"


class ReferenceBook:
    """Versions per dataset key, deduplicated by event id (loading twice changes nothing)."""

    def __init__(self) -> None:
        self._versions: dict[str, list[Message]] = {}
        self._seen: set[uuid.UUID] = set()
        self._credentials: dict[str, str | None] = {}  # institution -> latest token hash

    def add(self, event_id: uuid.UUID, payload: Message) -> bool:
        """Record one reference message; False if this event id was already recorded."""
        if event_id in self._seen:
            return False
        self._seen.add(event_id)
        if isinstance(payload, InstitutionCredentialPublished):
            self._credentials[payload.institution_id] = payload.token_sha256
        self._versions.setdefault(dataset_key(payload), []).append(payload)  # type: ignore[arg-type]
        return True

    def __len__(self) -> int:
        return len(self._seen)

    def __contains__(self, event_id: object) -> bool:
        """Has this reference record been read (a door waits for its own upload)?"""
        return event_id in self._seen

    def _in_force(self, key: str, day: date) -> Message | None:
        return in_force(self._versions.get(key, []), day)  # type: ignore[type-var]

    def institution(self, institution_id: str, day: date) -> InstitutionPublished | None:
        found = self._in_force(f"institution:{institution_id}", day)
        return found if isinstance(found, InstitutionPublished) else None

    def catalog(self, kind: CatalogKind, region: str, day: date) -> CatalogPublished | None:
        found = self._in_force(f"catalog:{kind.value}:{region}", day)
        return found if isinstance(found, CatalogPublished) else None

    def catalogs(self, kind: CatalogKind, day: date) -> list[CatalogPublished]:
        """Every region's version of one kind in force on `day` (by region)."""
        prefix = f"catalog:{kind.value}:"
        found = [self._in_force(k, day) for k in sorted(self._versions) if k.startswith(prefix)]
        return [c for c in found if isinstance(c, CatalogPublished)]

    def mapping(self, institution_id: str, kind: CatalogKind, local_code: str, day: date
                ) -> CodeMappingPublished | None:
        """The institution's mapping version of `local_code` in force on `day` (3301/3302),
        whether it maps then or not (a revocation, or past its `effective_until`)."""
        found = self._in_force(mapping_key(institution_id, kind, local_code), day)
        return found if isinstance(found, CodeMappingPublished) else None

    def mappings(self, institution_id: str, day: date) -> list[CodeMappingPublished]:
        """The institution's mappings that map on `day`, by kind and local code."""
        prefix = f"code-mapping:{institution_id}:"
        found = [self._in_force(k, day) for k in sorted(self._versions) if k.startswith(prefix)]
        return [m for m in found
                if isinstance(m, CodeMappingPublished) and m.maps_on(day) is not None]

    def pilot(self, scheme: str, day: date) -> PilotConfigured | None:
        found = self._in_force(f"pilot:{scheme}", day)
        return found if isinstance(found, PilotConfigured) else None

    def institution_for_token(self, token_sha256: str) -> str | None:
        """Which institution holds this credential now (None: unknown or revoked)."""
        for institution_id, digest in self._credentials.items():
            if digest is not None and digest == token_sha256:
                return institution_id
        return None
