"""Server-side errors, reported to clients in the real ``{"exception", "content"}`` shape."""

from __future__ import annotations


class FtrackServerError(Exception):
    """An error the emulator reports as ``{"exception": name, "content": message}``.

    Messages never contain curly braces: the client's ``str(ServerError)`` runs
    ``str.format`` on them and would crash (spec pitfall 20).
    """

    exception_name = "ServerError"
    status = 500
    error_code: str | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message.replace("{", "(").replace("}", ")"))

    @property
    def content(self) -> str:
        return str(self.args[0])


class ValidationError(FtrackServerError):
    exception_name = "ValidationError"
    status = 400


class IntegrityError(FtrackServerError):
    exception_name = "IntegrityError"
    status = 400


class ParseError(FtrackServerError):
    exception_name = "ParseError"
    status = 400


class NoResultFoundError(FtrackServerError):
    exception_name = "NoResultFoundError"
    status = 404


class InvalidCredentialsError(FtrackServerError):
    exception_name = "InvalidCredentialsError"
    status = 401
    error_code = "api_credentials_invalid"


class InvalidActionError(FtrackServerError):
    exception_name = "ValueError"
    status = 400
