"""Which AYON user an ftrack user is (for assignees, note authors).

As the original: e-mail first (case-insensitive), then the ftrack username cut before `@`
compared with the AYON name (case-insensitive); each AYON user is claimed at most once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FtrackUser:
    id: str
    username: str
    email: str | None = None


@dataclass(frozen=True, slots=True)
class AyonUser:
    name: str
    email: str | None = None


def map_users(ftrack_users: Iterable[FtrackUser], ayon_users: Iterable[AyonUser]) -> dict[str, str]:
    """ftrack user id -> AYON user name, for every ftrack user that has a counterpart."""
    ftrack_list = sorted(ftrack_users, key=lambda u: u.id)
    ayon_list = sorted(ayon_users, key=lambda u: u.name)
    by_email = {u.email.lower(): u.name for u in ayon_list if u.email}
    by_name = {u.name.lower(): u.name for u in ayon_list}
    mapping: dict[str, str] = {}
    claimed: set[str] = set()
    for user in ftrack_list:  # e-mail matches first, for everyone
        name = by_email.get(user.email.lower()) if user.email else None
        if name and name not in claimed:
            mapping[user.id] = name
            claimed.add(name)
    for user in ftrack_list:
        if user.id in mapping:
            continue
        name = by_name.get(user.username.split("@", 1)[0].lower())
        if name and name not in claimed:
            mapping[user.id] = name
            claimed.add(name)
    return mapping
