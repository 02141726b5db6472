"""Errors of the ftrack gateway, split by what the caller should do about them.

Activities turn ``FtrackUnavailable`` into a retry and the others into non-retryable failures,
so the split matters more than the wording. No message ever contains the API key: they are
built from our own words and the server's error text, which never echoes credentials.
"""

from __future__ import annotations


class FtrackError(RuntimeError):
    """Base class of every error raised by ``ayon_ftrack_sync.ftrack``."""


class FtrackNotConfigured(FtrackError):
    """Server URL, API user or API key missing from the configuration (not retryable)."""


class FtrackUnavailable(FtrackError):
    """The server could not be reached or answered with a transient failure (retry)."""


class FtrackCredentialsRejected(FtrackError):
    """The server refused the API user / key pair (not retryable: fix the configuration)."""


class FtrackServerError(FtrackError):
    """The server refused a request (validation, parse or integrity error; not retryable).

    ``exception`` is ftrack's exception name (``ValidationError``, ``PermissionError``...).
    """

    def __init__(self, message: str, *, exception: str = "") -> None:
        super().__init__(message)
        self.exception = exception


class FtrackPermissionDenied(FtrackServerError):
    """The API user lacks a permission the operation needs."""


class FtrackProjectNotFound(FtrackError, LookupError):
    """No ftrack project with that id, name or full name (not retryable)."""


class LinkAttributesPermissionError(FtrackPermissionDenied):
    """The API user may not create or change the mandatory ``ayon`` custom attributes."""
