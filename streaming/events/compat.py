"""Schema compatibility rules for the event contract.

The contract is FULL-compatible across versions: a reader of any version accepts events
written at any other version. Structurally that means a new version may only add optional
fields; it may not add required fields, drop or change existing ones (type, enum, range,
pattern), or close the object to unknown fields. Descriptions and titles may change.
"""

from __future__ import annotations

from typing import Any

_DOC_KEYS = frozenset({"title", "description", "$comment", "examples"})


def _without_docs(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_docs(v) for k, v in node.items() if k not in _DOC_KEYS}
    if isinstance(node, list):
        return [_without_docs(v) for v in node]
    return node


def incompatibilities(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Every reason why ``new`` is not FULL-compatible with ``old`` (empty when compatible)."""
    problems: list[str] = []
    if new.get("additionalProperties", True) is not True:
        problems.append("new version rejects unknown fields, so it cannot read later versions")
    if old.get("additionalProperties", True) is not True:
        problems.append("old version rejects unknown fields, so it cannot read the new version")
    added_required = set(new.get("required", [])) - set(old.get("required", []))
    if added_required:
        problems.append(f"new required fields break old writers: {sorted(added_required)}")
    dropped_required = set(old.get("required", [])) - set(new.get("required", []))
    if dropped_required:
        problems.append(f"fields no longer required break old readers: {sorted(dropped_required)}")
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name in sorted(set(old_props) - set(new_props)):
        problems.append(f"field {name!r} was removed")
    for name in sorted(set(old_props) & set(new_props)):
        if name == "schema_version":
            continue
        if _without_docs(old_props[name]) != _without_docs(new_props[name]):
            problems.append(f"field {name!r} changed its rules")
    for key in ("if", "then", "else"):
        if _without_docs(old.get(key)) != _without_docs(new.get(key)):
            problems.append(f"conditional rule {key!r} changed")
    return problems
