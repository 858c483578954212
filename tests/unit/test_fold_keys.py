"""``exclusive_replay`` relies on every folded table being keyed by the message's own aggregate and
written by ``fold`` alone (``projections.base.fold``): each read model's source is checked for both."""

from __future__ import annotations

import ast
from pathlib import Path

import projections

ROOT = Path(projections.__file__).parent


def _fold_calls() -> list[tuple[Path, ast.Call]]:
    calls = []
    for path in sorted(ROOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "fold":
                calls.append((path, node))
    return calls


def test_every_fold_keys_its_rows_by_the_message_s_own_aggregate():
    calls = _fold_calls()
    assert len(calls) >= 12  # every read model with a folded table
    for path, call in calls:
        key_of = call.args[5]
        assert ast.unparse(key_of) == "lambda m: m.aggregate_id", f"{path.name}: {ast.unparse(key_of)}"


def test_no_folded_table_is_written_by_other_sql():
    folded = {ast.literal_eval(call.args[1]) for _, call in _fold_calls()}
    for path in sorted(ROOT.rglob("*.py")):
        if path.name == "base.py":
            continue
        text = path.read_text()
        for table in folded:
            for verb in ("INSERT INTO", "UPDATE", "DELETE FROM"):
                assert f"{verb} {table} " not in text and f"{verb} {table}\n" not in text, (
                    f"{path.name}: {verb} {table}"
                )


def test_a_read_model_rebuilt_in_parts_has_folded_tables_only():
    # ``infra.audit.parts`` splits a replay by aggregate: right only when every row comes from one
    # aggregate's own messages, which folding by the message's aggregate (above) guarantees.
    from infra.audit.parts import per_aggregate
    from projections.catalogue import PROJECTIONS

    folded = {ast.literal_eval(call.args[1]) for _, call in _fold_calls()}
    split = [p for p in PROJECTIONS.values() if per_aggregate(p)]
    assert {p.name for p in split} >= {"registrations", "attendance", "seat_availability"}
    for projection in split:
        assert set(projection.tables) <= folded, projection.name
