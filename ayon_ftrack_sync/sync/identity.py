"""Deterministic ids linking the two systems, so a retried create finds its own result.

An AYON entity created for an ftrack entity gets an id derived from the ftrack id (unless the
ftrack entity already carries an `ayon_id` from an earlier sync); an ftrack entity created for
an AYON entity gets an id derived from the AYON id. Name-based UUIDs (uuid5) under product
namespaces keep the two id spaces apart: an AYON id is never an ftrack id with dashes removed.
"""

from __future__ import annotations

import re
import uuid

#: `ftrackId` value of an AYON entity whose ftrack counterpart was deleted but which must stay.
REMOVED = "removed"

_AYON_NAMESPACE = uuid.UUID("6f1b7a1e-5c1d-4a57-9d1e-0a7f7c0a7a01")
_FTRACK_NAMESPACE = uuid.UUID("2c9f6a3b-8d4e-4f0a-b1c2-5e6d7f8091a2")
_AYON_ID_RE = re.compile(r"^[0-9a-f]{32}$")


def ayon_id_for(ftrack_id: str) -> str:
    """The AYON id (32 hex) of the entity created for this ftrack id."""
    return uuid.uuid5(_AYON_NAMESPACE, ftrack_id).hex


def ftrack_id_for(ayon_id: str) -> str:
    """The ftrack id (dashed UUID) of the entity created for this AYON id."""
    return str(uuid.uuid5(_FTRACK_NAMESPACE, ayon_id))


def is_ayon_id(value: object) -> bool:
    return isinstance(value, str) and bool(_AYON_ID_RE.match(value))


def is_linked_ftrack_id(value: str | None) -> bool:
    """Whether an `ftrackId` attribute value points at an ftrack entity at all."""
    return bool(value) and value != REMOVED
