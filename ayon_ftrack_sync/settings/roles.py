"""Who may run an ftrack action: the ``role_list`` rule of the original integration.

Kept free of I/O: the caller passes the user's ftrack security role names (from the event's
``user_roles`` or a query), this module only decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def roles_allow(role_list: Sequence[str], user_roles: Iterable[str]) -> bool:
    """True when the user holds at least one role of ``role_list``.

    An empty ``role_list`` allows every user: that is the original's rule, and it is why
    ``delete_ayon_entities`` (whose defaults have no roles) is open to everyone unless a studio
    sets roles. Role names compare case-insensitively ("Project manager" == "Project Manager"),
    which matters because the original's defaults spell it both ways.
    """
    if not role_list:
        return True
    held = {role.casefold() for role in user_roles}
    return any(role.casefold() in held for role in role_list)
