"""``SettingsError``: every problem of a settings document in one readable message.

pydantic's own message repeats the full input value and a documentation URL per error, which is
noisy and could echo a credential. Here each problem is ``<key path>: <message>`` plus a short
``(got ...)`` for values that cannot be secret.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import ValidationError

_SECRET_HINTS = ("api_key", "apikey", "password", "secret", "token", "service_settings")
_MAX_SHOWN = 60


class SettingsError(ValueError):
    """Invalid or unreadable sync settings.

    ``problems`` holds ``(key_path, message)`` pairs; ``str()`` names all of them. The message
    never contains the value of a secret-looking key.
    """

    def __init__(self, problems: Sequence[tuple[str, str]], *, source: str | None = None) -> None:
        self.problems: list[tuple[str, str]] = list(problems)
        self.source = source
        super().__init__(self._render())

    def _render(self) -> str:
        where = f" in {self.source}" if self.source else ""
        count = len(self.problems)
        head = f"invalid sync settings{where} ({count} problem{'s' if count != 1 else ''})"
        lines = [f"{path or '<root>'}: {message}" for path, message in self.problems]
        return head + ":\n  " + "\n  ".join(lines)

    @classmethod
    def from_validation_error(
        cls, error: ValidationError, *, source: str | None = None
    ) -> SettingsError:
        """Translate pydantic's errors into key paths and short messages."""
        problems = []
        for item in error.errors(include_url=False):
            path = format_key_path(item.get("loc", ()))
            if item["type"] == "extra_forbidden":
                problems.append((path, "unknown key (not part of the settings schema)"))
                continue
            message = _clean_message(str(item.get("msg", "invalid value")))
            if "input" in item and not _is_secret_path(path) and item["type"] != "missing":
                shown = _short_repr(item["input"])
                if shown is not None:
                    message = f"{message} (got {shown})"
            problems.append((path, message))
        return cls(problems, source=source)


def format_key_path(loc: Iterable[int | str]) -> str:
    """``("a", "b", 2, "c")`` -> ``a.b[2].c``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _clean_message(message: str) -> str:
    # field validators raising ValueError come out as "Value error, <text>"
    prefix = "Value error, "
    return message[len(prefix) :] if message.startswith(prefix) else message


def _is_secret_path(path: str) -> bool:
    lowered = path.casefold()
    return any(hint in lowered for hint in _SECRET_HINTS)


def _short_repr(value: Any) -> str | None:
    """A short repr of a scalar input; None for containers (the path says enough)."""
    if isinstance(value, dict | list | tuple | set):
        return None
    text = repr(value)
    if len(text) > _MAX_SHOWN:
        text = text[: _MAX_SHOWN - 3] + "..."
    return text
