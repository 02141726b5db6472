"""Register this product's search attributes on a namespace (clusters other than the dev server)."""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client

from ayon_ftrack_sync.temporal.search_attributes import ALL_SEARCH_ATTRIBUTES


async def missing_search_attributes(client: Client) -> list[str]:
    """Names of our search attributes the namespace does not know yet."""
    response = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)
    )
    known = set(response.custom_attributes)
    return [key.name for key in ALL_SEARCH_ATTRIBUTES if key.name not in known]


async def ensure_search_attributes(client: Client) -> list[str]:
    """Add any missing search attribute (all are Keyword); returns the names added."""
    missing = await missing_search_attributes(client)
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=client.namespace,
                search_attributes={
                    name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD for name in missing
                },
            )
        )
    return missing
