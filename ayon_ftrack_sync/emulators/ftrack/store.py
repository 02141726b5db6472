"""In-memory tables with primary-key and foreign-key indexes, and an undo log for rollback.

One table per storage family (all TypedContext subtypes share ``TypedContext``, all custom
attribute value flavours share ``CustomAttributeValue``...). Records are flat dicts of JSON
scalars plus ``__entity_type__`` (the concrete type). Rollback replays an undo log instead of
snapshotting, so a failing batch costs as much as the work it did, and read-only batches cost
nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .schemas import SchemaRegistry

Key = Any  # a str for single-key tables, a tuple of str for composite keys
Record = dict[str, Any]

# Internal many-to-many tables that have no ftrack schema of their own.
INTERNAL_TABLES: dict[str, list[str]] = {
    "_CAReadRole": ["configuration_id", "role_id"],
    "_CAWriteRole": ["configuration_id", "role_id"],
}


class Store:
    """Indexed tables plus the undo log of the batch being applied."""

    def __init__(self, reg: SchemaRegistry) -> None:
        self.reg = reg
        self.pk: dict[str, list[str]] = {}
        self.indexed: dict[str, set[str]] = {}
        for t in reg.types.values():
            if t.table == "Context":
                continue
            if t.table not in self.pk and (t.name == t.table or t.table in ("User",)):
                self.pk[t.table] = list(t.primary_key)
            fields = self.indexed.setdefault(t.table, {"__entity_type__"})
            for prop in t.props.values():
                if prop.fmt == "foreign_key" or prop.name in ("parent_id", "entity_id"):
                    fields.add(prop.name)
                if prop.fk:
                    fields.add(prop.fk)
        for t in reg.types.values():
            for prop in t.props.values():
                if prop.by and prop.target:
                    self.indexed.setdefault(reg.get(prop.target).table, set()).add(prop.by)
                if prop.thru:
                    link, local, remote = prop.thru
                    self.indexed.setdefault(self._table_of(link), set()).update((local, remote))
        for name, pk in INTERNAL_TABLES.items():
            self.pk[name] = pk
            self.indexed.setdefault(name, set()).update(pk)
        self.indexed["TypedContext"].update({"object_type_id", "project_id"})
        self.indexed["List"].add("system_type")
        self.tables: dict[str, dict[Key, Record]] = {}
        self.index: dict[str, dict[str, dict[Any, dict[Key, None]]]] = {}
        self.undo: list[tuple[str, Key, Record | None]] | None = None
        self.version = 0  # bumped on every write; used to invalidate derived caches
        self.clear()

    def _table_of(self, type_name: str) -> str:
        if type_name in INTERNAL_TABLES:
            return type_name
        return self.reg.get(type_name).table

    def clear(self) -> None:
        self.tables = {name: {} for name in self.pk}
        self.index = {name: {f: {} for f in self.indexed.get(name, ())} for name in self.pk}
        self.version += 1

    # -- keys -------------------------------------------------------------------------------
    def key_of(self, table: str, record: Record) -> Key:
        pk = self.pk[table]
        if len(pk) == 1:
            return record[pk[0]]
        return tuple(record[name] for name in pk)

    # -- reads ------------------------------------------------------------------------------
    def get(self, table: str, key: Key) -> Record | None:
        return self.tables[table].get(key)

    def rows(self, table: str) -> Iterable[Record]:
        return self.tables[table].values()

    def lookup(self, table: str, field: str, value: Any) -> Iterator[Record]:
        """Records whose ``field`` equals ``value``, through the index when there is one."""
        idx = self.index[table].get(field)
        rows = self.tables[table]
        if idx is not None:
            for key in list(idx.get(value, ())):
                yield rows[key]
            return
        for row in list(rows.values()):
            if row.get(field) == value:
                yield row

    def has_index(self, table: str, field: str) -> bool:
        return field in self.index[table]

    # -- writes -----------------------------------------------------------------------------
    def _index_add(self, table: str, key: Key, record: Record) -> None:
        for field, idx in self.index[table].items():
            value = record.get(field)
            if value is not None:
                idx.setdefault(value, {})[key] = None

    def _index_remove(self, table: str, key: Key, record: Record) -> None:
        for field, idx in self.index[table].items():
            value = record.get(field)
            if value is not None:
                bucket = idx.get(value)
                if bucket is not None:
                    bucket.pop(key, None)
                    if not bucket:
                        del idx[value]

    def put(self, table: str, record: Record) -> None:
        """Insert or replace a record, keeping indexes and the undo log up to date."""
        key = self.key_of(table, record)
        rows = self.tables[table]
        old = rows.get(key)
        if self.undo is not None:
            self.undo.append((table, key, old))
        if old is not None:
            self._index_remove(table, key, old)
        rows[key] = record
        self._index_add(table, key, record)
        self.version += 1

    def delete(self, table: str, key: Key) -> Record | None:
        rows = self.tables[table]
        old = rows.pop(key, None)
        if old is None:
            return None
        if self.undo is not None:
            self.undo.append((table, key, old))
        self._index_remove(table, key, old)
        self.version += 1
        return old

    # -- transactions -----------------------------------------------------------------------
    def begin(self) -> None:
        self.undo = []

    def commit(self) -> None:
        self.undo = None

    def rollback(self) -> None:
        log, self.undo = self.undo or [], None
        for table, key, old in reversed(log):
            rows = self.tables[table]
            current = rows.pop(key, None)
            if current is not None:
                self._index_remove(table, key, current)
            if old is not None:
                rows[key] = old
                self._index_add(table, key, old)
        self.version += 1

    # -- persistence ------------------------------------------------------------------------
    def dump(self) -> dict[str, list[Record]]:
        return {name: [dict(r) for r in rows.values()] for name, rows in self.tables.items()}

    def load(self, data: dict[str, list[Record]]) -> None:
        self.clear()
        for name, rows in data.items():
            if name not in self.tables:
                raise ValueError(f"unknown table {name!r} in dump")
            for row in rows:
                self.put(name, dict(row))
