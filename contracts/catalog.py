"""Imports every message module so the (type, version) registry is complete."""

from contracts import (  # noqa: F401
    benefits,
    clearing,
    deadletter,
    encounter,
    gateway,
    presettlement,
    reconciliation,
    reference,
    registration,
    replies,
    settlement,
)
