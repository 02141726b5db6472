"""ftrack gateway: session factory, bulk project reads, link attributes and their write-back.

Only activities (and the CLI) import this package; the pure planning code in ``sync/`` gets the
snapshots it builds. Every read and write goes through raw ``/api`` batches
(``transport.FtrackApi``) so the number of requests stays a handful per thousand entities.
"""

from .errors import (
    FtrackCredentialsRejected,
    FtrackError,
    FtrackNotConfigured,
    FtrackPermissionDenied,
    FtrackProjectNotFound,
    FtrackServerError,
    FtrackUnavailable,
    LinkAttributesPermissionError,
)
from .link_attributes import LINK_ATTRIBUTES, ensure_link_attributes
from .reader import (
    ConversionProblem,
    FtrackProjectInfo,
    FtrackRead,
    FtrackSchemaInfo,
    find_project,
    read_attribute_configurations,
    read_project,
    read_schema,
)
from .session import open_session
from .writer import WriteResult, write_links

__all__ = [
    "LINK_ATTRIBUTES",
    "ConversionProblem",
    "FtrackCredentialsRejected",
    "FtrackError",
    "FtrackNotConfigured",
    "FtrackPermissionDenied",
    "FtrackProjectInfo",
    "FtrackProjectNotFound",
    "FtrackRead",
    "FtrackSchemaInfo",
    "FtrackServerError",
    "FtrackUnavailable",
    "LinkAttributesPermissionError",
    "WriteResult",
    "ensure_link_attributes",
    "find_project",
    "open_session",
    "read_attribute_configurations",
    "read_project",
    "read_schema",
    "write_links",
]
