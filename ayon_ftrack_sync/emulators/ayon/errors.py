"""Errors the emulated server turns into HTTP responses (status + AYON error code)."""

from __future__ import annotations


class ApiError(Exception):
    """An error with the HTTP status and `errorCode` the real server would answer with.

    Raised anywhere in the domain layer; REST handlers and the operations executor both
    translate it, so validation lives in one place and produces identical codes on both paths.
    """

    def __init__(self, status: int, detail: str, code: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code

    def body(self) -> dict[str, object]:
        """JSON body of a plain REST error response (`{"code": status, "detail": ...}`)."""
        out: dict[str, object] = {"code": self.status, "detail": self.detail}
        if self.code:
            out["errorCode"] = self.code
        return out


def not_found(detail: str) -> ApiError:
    """404 with the `not-found` code used by operations."""
    return ApiError(404, detail, "not-found")


def invalid(detail: str) -> ApiError:
    """400 `invalid_data`, the code pydantic validation failures get on the real server."""
    return ApiError(400, f"Invalid data provided: {detail}", "invalid_data")


def unique_violation(detail: str) -> ApiError:
    """409 `unique-violation` (a Postgres unique index fired on the real server)."""
    return ApiError(409, detail, "unique-violation")


def fk_violation(detail: str) -> ApiError:
    """409 `foreign-key-violation` (unknown folderType/taskType/status)."""
    return ApiError(409, detail, "foreign-key-violation")
