"""The query engine in-process: parser edge cases and a property test against plain Python."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ayon_ftrack_sync.emulators.ftrack.api import Backend
from ayon_ftrack_sync.emulators.ftrack.errors import ParseError
from ayon_ftrack_sync.emulators.ftrack.query.parser import And, Cond, InList, Or, parse_query
from ayon_ftrack_sync.emulators.ftrack.seed import seed_baseline


def test_parser_accepts_client_spacing_and_unquoted_values():
    q = parse_query(
        "select value from ContextCustomAttributeValue where "
        '(configuration_id is "A"and entity_id is "B") or '
        '(configuration_id is "C"and entity_id is "D") offset 0 limit 500'
    )
    assert isinstance(q.where, Or) and isinstance(q.where.items[0], And)
    assert (q.offset, q.limit) == (0, 500)
    q = parse_query(
        "select name, status.name from Shot where id in (a-1,b-2,c-3) limit 5 offset 10"
    )
    assert isinstance(q.where, InList) and [v.text for v in q.where.values] == ["a-1", "b-2", "c-3"]
    assert q.select == (("name",), ("status", "name"))
    assert (q.offset, q.limit) == (10, 5)
    q = parse_query(r'Shot where name is "a \"quoted\" name" order by name descending, id')
    assert isinstance(q.where, Cond) and q.where.value.text == r"a \"quoted\" name"
    assert q.order == ((("name",), True), (("id",), False))


@pytest.mark.parametrize(
    "bad",
    [
        "Shot where",
        "select from Shot",
        "Shot where name is",
        "Shot where (name is 1",
        "Shot limit x",
        "select count(id) from Task group by name",
    ],
)
def test_parser_rejects_malformed(bad):
    with pytest.raises(ParseError):
        parse_query(bad)


@pytest.fixture(scope="module")
def backend():
    backend = Backend()
    seed_baseline(backend.store)
    user = backend.add_user("u", "k")
    project_id = str(uuid.uuid4())
    batch = [
        {
            "action": "create",
            "entity_type": "Project",
            "entity_key": [project_id],
            "entity_data": {
                "id": project_id,
                "name": "p",
                "project_schema": {
                    "__entity_type__": "ProjectSchema",
                    "id": backend.store.rows("ProjectSchema").__iter__().__next__()["id"],
                },
            },
        }
    ]
    names = ["alpha", "Beta", "gamma", "ALPHA2", "delta_x", "beta%", "omega"]
    for i, name in enumerate(names * 3):
        task_id = str(uuid.uuid4())
        batch.append(
            {
                "action": "create",
                "entity_type": "Task",
                "entity_key": [task_id],
                "entity_data": {
                    "id": task_id,
                    "name": f"{name}{i}",
                    "bid": float(i % 5),
                    "parent": {"__entity_type__": "Project", "id": project_id},
                },
            }
        )
    backend.handle(batch, user)
    return backend, user


def _rows(backend, expression):
    be, user = backend
    return be.handle([{"action": "query", "expression": expression}], user)[0]["data"]


_ops = {
    "is": lambda a, b: a == b,
    "is_not": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    op=st.sampled_from(sorted(_ops)),
    bid=st.integers(-1, 5),
    prefix=st.sampled_from(["a", "B", "ga", "al", "z", "delta\\_"]),
    joiner=st.sampled_from(["and", "or"]),
    limit=st.integers(1, 30),
    offset=st.integers(0, 25),
)
def test_filters_match_python_reference(backend, op, bid, prefix, joiner, limit, offset):
    all_rows = _rows(backend, "select name, bid from Task order by name")
    expression = (
        f"select name, bid from Task where bid {op} {bid} {joiner} "
        f'name like "{prefix}%" order by name offset {offset} limit {limit}'
    )
    got = [r["name"] for r in _rows(backend, expression)]
    plain_prefix = prefix.replace("\\", "").lower()

    def keep(row):
        left = _ops[op](row["bid"], bid)
        right = row["name"].lower().startswith(plain_prefix)
        return (left and right) if joiner == "and" else (left or right)

    expected = [r["name"] for r in all_rows if keep(r)]
    assert got == expected[offset : offset + limit]
