"""Is a new version of the published message schemas additive?  Within ``vN`` a message may gain
optional fields and nothing else: a removed field, a field whose type changed and a new required field
each break a reader (or a writer) built against the old schema.

Types are compared by meaning, not spelling: ``$ref``s are resolved, ``anyOf``/``oneOf`` are sets of
alternatives, and an enum's values are compared as a set, so ``Literal["a", "b"]`` and an ``Enum``
with the same values are the same type; a new enum value is additive, a removed one is not.
"""

from __future__ import annotations

from typing import Any

Kind = Any  # a hashable description of a schema's type


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while "$ref" in schema and seen < 32:
        path = schema["$ref"].removeprefix("#/").split("/")
        target: Any = root
        for part in path:
            target = target[part]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        seen += 1
    return schema


def kind(schema: dict[str, Any], root: dict[str, Any]) -> Kind:
    """The type of ``schema`` without its wording (titles, descriptions, defaults)."""
    schema = _resolve(schema, root)
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            alternatives: set[Kind] = set()
            for alternative in schema[combinator]:
                found = kind(alternative, root)
                alternatives |= found[1] if isinstance(found, tuple) and found[0] == "anyOf" else {found}
            return ("anyOf", frozenset(alternatives)) if len(alternatives) > 1 else next(iter(alternatives))
    if "const" in schema:
        return ("const", repr(schema["const"]))
    if "enum" in schema:
        return ("enum", schema.get("type"))
    kind_name = schema.get("type")
    if kind_name == "array":
        return ("array", kind(schema.get("items", {}), root))
    if kind_name == "object" and "properties" not in schema:
        extra = schema.get("additionalProperties")
        return ("map", kind(extra, root) if isinstance(extra, dict) else None)
    if kind_name == "object":
        return ("object",)
    return (kind_name, schema.get("format"))


def _enum_values(schema: dict[str, Any], root: dict[str, Any]) -> set[str]:
    schema = _resolve(schema, root)
    values = {repr(v) for v in schema.get("enum", ())}
    for combinator in ("anyOf", "oneOf"):
        for alternative in schema.get(combinator, ()):
            values |= _enum_values(alternative, root)
    return values


def _object(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any] | None:
    schema = _resolve(schema, root)
    if schema.get("type") == "object" and "properties" in schema:
        return schema
    for combinator in ("anyOf", "oneOf"):  # an optional nested model: the object among the alternatives
        objects = [o for a in schema.get(combinator, ()) if (o := _object(a, root)) is not None]
        if len(objects) == 1:
            return objects[0]
    return None


def compare(old: dict[str, Any], new: dict[str, Any], where: str = "", old_root: Any = None,
            new_root: Any = None) -> list[str]:  # fmt: skip
    """What makes ``new`` (an object schema) not an additive change of ``old``."""
    old_root, new_root = old_root or old, new_root or new
    problems: list[str] = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, old_field in old_props.items():
        path = f"{where}{name}"
        if name not in new_props:
            problems.append(f"{path}: field removed")
            continue
        new_field = new_props[name]
        old_kind, new_kind = kind(old_field, old_root), kind(new_field, new_root)
        if old_kind != new_kind:
            problems.append(f"{path}: type changed from {old_kind} to {new_kind}")
            continue
        removed = _enum_values(old_field, old_root) - _enum_values(new_field, new_root)
        if removed:
            problems.append(f"{path}: values removed: {', '.join(sorted(removed))}")
        old_object, new_object = _object(old_field, old_root), _object(new_field, new_root)
        if old_object is not None and new_object is not None:
            problems += compare(old_object, new_object, f"{path}.", old_root, new_root)
        old_items, new_items = _resolve(old_field, old_root).get("items"), _resolve(new_field, new_root).get("items")
        if isinstance(old_items, dict) and isinstance(new_items, dict):
            old_object, new_object = _object(old_items, old_root), _object(new_items, new_root)
            if old_object is not None and new_object is not None:
                problems += compare(old_object, new_object, f"{path}[].", old_root, new_root)
    for name in sorted(set(new.get("required", ())) - set(old.get("required", ()))):
        problems.append(f"{where}{name}: " + ("new required field" if name not in old_props else "now required"))
    return problems


def incompatibilities(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> list[str]:
    """Every non-additive change between two sets of message schemas (by message key)."""
    problems: list[str] = []
    for key, old_schema in sorted(old.items()):
        if key not in new:
            problems.append(f"{key}: message removed")
            continue
        problems += [f"{key}: {p}" for p in compare(old_schema, new[key])]
    return problems
