"""Full-sync planning of ftrack links (TypedContextLink) as AYON folder -> folder links.

The rules of the original (seed_features.md 3.1 step 9), with its direction bug fixed: the
ftrack link ``from -> to`` becomes the AYON link ``input = from``, ``output = to`` (the
original's event sync looked the "from" entity up with the "to" id, so links came out
reversed or not at all). Only missing links are created, nothing is ever deleted (a full sync
must not undo links people made in AYON), self-links and links touching an entity that is not
a synced folder are ignored. When the configured link type is "< Skip >" (None here) or does
not exist on the project for folder -> folder, nothing is planned and the reason is reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

#: AYON entity type of both ends of a synced link.
FOLDER = "folder"


class LinksSkip(StrEnum):
    """Why no link was planned at all."""

    DISABLED = "disabled"  # sync_link_type is "< Skip >"
    MISSING_TYPE = "missing_link_type"  # the type is not on the project for folder->folder


@dataclass(frozen=True, slots=True)
class FtrackLink:
    """One ftrack TypedContextLink: ``from_id`` depends on nothing, ``to_id`` on ``from_id``."""

    from_id: str
    to_id: str


@dataclass(frozen=True, slots=True)
class AyonLinkType:
    """One AYON link type of the project (``name`` is ``linkType|input|output``)."""

    link_type: str
    input_type: str
    output_type: str

    @property
    def full_name(self) -> str:
        return f"{self.link_type}|{self.input_type}|{self.output_type}"


@dataclass(frozen=True, slots=True)
class LinksSnapshot:
    """What link planning needs from both sides.

    ``link_type`` is the configured short type name (None = link sync off);
    ``folders`` maps ftrack ids of synced folders to their AYON folder ids; ``existing``
    holds the AYON links of the configured type as ``(input id, output id)`` pairs.
    """

    link_type: str | None
    link_types: tuple[AyonLinkType, ...]
    ftrack_links: tuple[FtrackLink, ...]
    folders: Mapping[str, str]
    existing: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True, slots=True)
class CreateLink:
    """Create the AYON link ``input_id -> output_id`` (both folders)."""

    input_id: str
    output_id: str


@dataclass(frozen=True, slots=True)
class LinksPlan:
    """Links to create, of ``link_type`` (full name ``type|folder|folder``)."""

    link_type: str | None = None
    creates: tuple[CreateLink, ...] = ()
    skipped: LinksSkip | None = None
    #: ftrack links left out: self-links, or an end that is not a synced folder
    ignored: int = 0

    @property
    def is_empty(self) -> bool:
        return not self.creates

    def summary(self) -> dict[str, int]:
        return {
            "links.created": len(self.creates),
            "links.ignored": self.ignored,
            "links.skipped_missing_type": int(self.skipped is LinksSkip.MISSING_TYPE),
        }


def folder_link_type(snapshot: LinksSnapshot) -> AyonLinkType | None:
    """The configured type if the project has it for folder -> folder."""
    for link_type in snapshot.link_types:
        if (
            link_type.link_type == snapshot.link_type
            and link_type.input_type == FOLDER
            and link_type.output_type == FOLDER
        ):
            return link_type
    return None


def plan_links(snapshot: LinksSnapshot) -> LinksPlan:
    """The AYON links missing for the ftrack links between synced folders."""
    if snapshot.link_type is None:
        return LinksPlan(skipped=LinksSkip.DISABLED)
    link_type = folder_link_type(snapshot)
    if link_type is None:
        return LinksPlan(link_type=snapshot.link_type, skipped=LinksSkip.MISSING_TYPE)
    wanted: set[tuple[str, str]] = set()
    creates: list[CreateLink] = []
    ignored = 0
    for link in sorted(snapshot.ftrack_links, key=lambda item: (item.from_id, item.to_id)):
        input_id = snapshot.folders.get(link.from_id)
        output_id = snapshot.folders.get(link.to_id)
        if input_id is None or output_id is None or input_id == output_id:
            ignored += 1
            continue
        pair = (input_id, output_id)
        if pair in snapshot.existing or pair in wanted:
            continue
        wanted.add(pair)
        creates.append(CreateLink(input_id, output_id))
    return LinksPlan(link_type=link_type.full_name, creates=tuple(creates), ignored=ignored)


def apply_links(snapshot: LinksSnapshot, plan: LinksPlan) -> LinksSnapshot:
    """The snapshot after ``plan`` was written (for tests and dry-run previews)."""
    added = {(create.input_id, create.output_id) for create in plan.creates}
    return replace(snapshot, existing=snapshot.existing | added)
