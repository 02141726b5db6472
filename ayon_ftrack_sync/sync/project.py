"""Project attributes, ftrack -> AYON (incremental sync of project-level changes)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def plan_project_attributes(
    ftrack_values: Mapping[str, Any], ayon_attrib: Mapping[str, Any], synced: Iterable[str]
) -> dict[str, Any]:
    """Changed project attributes among `synced` names.

    As in the original, an ftrack value that is not set never unsets the AYON project's
    value: project attributes are the defaults every folder inherits, and an empty ftrack
    field must not wipe them."""
    names = set(synced)
    return {
        name: value
        for name, value in ftrack_values.items()
        if name in names and value is not None and ayon_attrib.get(name) != value
    }
