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


# -- incremental (scoped) planning -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AyonLink:
    """One existing AYON link of the configured type, ``input_id -> output_id`` (folders)."""

    id: str
    input_id: str
    output_id: str


@dataclass(frozen=True, slots=True)
class ScopedLinksSnapshot:
    """What the incremental link sync reads for the ftrack entities a batch touched.

    ``touched`` are the ftrack ids at either end of an added or removed ftrack dependency;
    ``ftrack_links`` every current ftrack link with an end in ``touched``; ``folders`` maps
    the ftrack ids of synced folders to AYON folder ids, for every end of those ftrack links
    and of ``existing``; ``existing`` the AYON links of the configured type with an end at
    the AYON folder of a touched id. Only this neighbourhood is known, so only links with an
    end in it are planned: links elsewhere are never read, so never created or deleted.
    """

    link_type: str | None
    link_types: tuple[AyonLinkType, ...]
    touched: frozenset[str]
    ftrack_links: tuple[FtrackLink, ...]
    folders: Mapping[str, str]
    existing: tuple[AyonLink, ...] = ()


@dataclass(frozen=True, slots=True)
class ScopedLinksPlan:
    """Links to create and to delete around the touched entities."""

    link_type: str | None = None
    creates: tuple[CreateLink, ...] = ()
    deletes: tuple[AyonLink, ...] = ()
    skipped: LinksSkip | None = None
    ignored: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.creates or self.deletes)

    def summary(self) -> dict[str, int]:
        return {
            "links.created": len(self.creates),
            "links.deleted": len(self.deletes),
            "links.ignored": self.ignored,
            "links.skipped_missing_type": int(self.skipped is LinksSkip.MISSING_TYPE),
        }


def plan_scoped_links(snapshot: ScopedLinksSnapshot) -> ScopedLinksPlan:
    """Create the missing links and delete the AYON links ftrack no longer has, around the
    touched entities.

    Creation follows ``plan_links`` (same direction rule: ftrack ``from`` -> AYON input).
    A delete needs both ends to be synced folders (a link to an AYON-only folder is AYON's
    business), one end at a touched entity (only there is the ftrack side fully read), and
    no ftrack link between the two. AYON self-links are left alone: the sync never makes them,
    so they are not its to remove. Duplicated AYON links of a wanted pair are left too.
    """
    touched = snapshot.touched
    in_scope = tuple(
        link for link in snapshot.ftrack_links if link.from_id in touched or link.to_id in touched
    )
    base = plan_links(
        LinksSnapshot(
            snapshot.link_type,
            snapshot.link_types,
            in_scope,
            snapshot.folders,
            frozenset((link.input_id, link.output_id) for link in snapshot.existing),
        )
    )
    if base.skipped is not None:
        return ScopedLinksPlan(link_type=base.link_type, skipped=base.skipped)
    wanted = {
        (snapshot.folders[link.from_id], snapshot.folders[link.to_id])
        for link in in_scope
        if link.from_id in snapshot.folders and link.to_id in snapshot.folders
    }
    synced = set(snapshot.folders.values())
    touched_folders = {snapshot.folders[t] for t in touched if t in snapshot.folders}
    deletes: list[AyonLink] = []
    seen: set[str] = set()
    for link in sorted(snapshot.existing, key=lambda item: item.id):
        if link.id in seen or link.input_id == link.output_id:
            continue
        seen.add(link.id)
        if not ({link.input_id, link.output_id} & touched_folders):
            continue
        if link.input_id not in synced or link.output_id not in synced:
            continue
        if (link.input_id, link.output_id) not in wanted:
            deletes.append(link)
    return ScopedLinksPlan(
        link_type=base.link_type,
        creates=base.creates,
        deletes=tuple(deletes),
        ignored=base.ignored,
    )


def apply_scoped_links(snapshot: ScopedLinksSnapshot, plan: ScopedLinksPlan) -> ScopedLinksSnapshot:
    """The snapshot after ``plan`` was written (new link ids are made up; for tests)."""
    deleted = {link.id for link in plan.deletes}
    kept = tuple(link for link in snapshot.existing if link.id not in deleted)
    added = tuple(
        AyonLink(f"new:{c.input_id}:{c.output_id}", c.input_id, c.output_id) for c in plan.creates
    )
    return replace(snapshot, existing=kept + added)
