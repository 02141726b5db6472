"""Name rules shared with AYON: slugs, validity, labels, short names.

The slug algorithm is the one ayon-python-api's `slugify_string` applies (and so the original
integration): transliterate to ASCII, split on separators, drop every other non-alphanumeric
character, drop empty parts, join with `_`, keep case. Re-implemented here so the pure domain
does not import a network client.
"""

from __future__ import annotations

import re
from functools import lru_cache

from unidecode import unidecode

#: Characters that split words (space included), as in ayon-python-api.
SPLIT_CHARS = " ,./\\;:!|*^#@~+-_="
_SPLIT_RE = re.compile("[" + re.escape(SPLIT_CHARS) + "]")
_NOT_ALNUM_RE = re.compile("[^a-zA-Z0-9]")

#: AYON folder / task / product name rule (ayon_server NAME_REGEX).
NAME_RE = re.compile(r"^[a-zA-Z0-9_]([a-zA-Z0-9_\.\-]*[a-zA-Z0-9_])?$")
#: AYON status and type names. ayon_server's TYPE_NAME_REGEX asks for 3+ characters, but its
#: own primary preset ships the task type "FX", so anatomy names are not held to that length.
TYPE_NAME_RE = re.compile(r"^[a-zA-Z0-9_]([a-zA-Z0-9_ \-]{0,64}[a-zA-Z0-9_])?$")
#: Characters AYON refuses in labels.
_LABEL_FORBIDDEN = str.maketrans("", "", "';")


@lru_cache(maxsize=65536)
def slugify(text: str) -> str:
    """The AYON name for an ftrack name: `sh-010 v2` -> `sh_010_v2`, `Šot` -> `Sot`."""
    ascii_text = unidecode(text)
    parts = (_NOT_ALNUM_RE.sub("", part) for part in _SPLIT_RE.split(ascii_text))
    return "_".join(part for part in parts if part)


def name_key(name: str) -> str:
    """Comparison key of names: AYON uniqueness among siblings is case-insensitive."""
    return name.lower()


def is_valid_name(name: str) -> bool:
    return bool(NAME_RE.match(name))


def clean_label(label: str) -> str:
    """A label AYON accepts: the original name without quotes or semicolons."""
    return label.translate(_LABEL_FORBIDDEN)


def task_type_short_name(name: str) -> str:
    """Short name of a new AYON task type: the lowercase alphanumerics of its name."""
    return _NOT_ALNUM_RE.sub("", name).lower()


def is_valid_type_name(name: str) -> bool:
    return bool(TYPE_NAME_RE.match(name))
