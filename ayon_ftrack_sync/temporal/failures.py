"""Reading Temporal failure chains the way a person wants to see them."""

from __future__ import annotations

from temporalio.exceptions import ActivityError, ApplicationError, ChildWorkflowError

#: failure chains are short (child -> activity -> application error); bound the walk anyway
_MAX_DEPTH = 10


def root_message(err: BaseException) -> str:
    """The innermost failure message, e.g. the `ApplicationError` an activity raised."""
    current: BaseException | None = err
    message = str(err)
    for _ in range(_MAX_DEPTH):
        if current is None:
            break
        if isinstance(current, ApplicationError | ActivityError | ChildWorkflowError):
            message = current.message
        current = getattr(current, "cause", None) or current.__cause__
    return message
