"""deploy/terraform read as data: each module's variables, outputs, resources and references, parsed by python-hcl2.

``terraform validate`` needs every provider's schema, and no provider can be downloaded here, so what validate
would catch about the wiring (an undeclared variable, a reference to a resource that does not exist, a module
output nobody exposes) is checked from the parsed HCL instead, and the security properties are read from it.
python-hcl2 keeps HCL's quotes on block labels and string values and wraps expressions in ``${...}``;
``normalize`` strips the quotes from labels and drops its ``__is_block__``/``__comments__`` markers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import hcl2

from tests.deploy.tools import ROOT

TERRAFORM = ROOT / "deploy" / "terraform"
MODULES = TERRAFORM / "modules"
ENVS = TERRAFORM / "envs"
CLOUDS = ("gcp", "aws", "azure")
REGIONS = ("us", "eu", "apac")

# Resource types start with their provider's name: anything else followed by `.name` is an attribute or a literal.
PROVIDERS = ("google", "google-beta", "aws", "azurerm", "azuread", "random", "tls", "time", "null")
RESOURCE_REF = re.compile(rf"(?<![\w.\-/:@])((?:{'|'.join(PROVIDERS)})_[a-z0-9_]+)\.([a-z_][\w-]*)")
NAMED_REF = re.compile(r"(?<![\w.\-/:@])(var|local|module|data)\.([a-zA-Z_][\w-]*)(?:\.([a-zA-Z_][\w-]*))?")
FOR_VARS = re.compile(r"\bfor\s+(\w+)(?:\s*,\s*(\w+))?\s+in\b")


def unquote(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def normalize(node: Any) -> Any:
    """python-hcl2's tree with labels unquoted and its markers dropped (values keep their quotes)."""
    if isinstance(node, dict):
        return {unquote(k): normalize(v) for k, v in node.items() if not k.startswith("__")}
    if isinstance(node, list):
        return [normalize(v) for v in node]
    return node


def blocks(tree: dict[str, Any], kind: str) -> dict[str, Any]:
    """`variable "x" {...}` blocks of one kind as {label: body}; two-label kinds as {(type, name): body}."""
    found: dict[Any, Any] = {}
    for entry in tree.get(kind, []):
        for label, body in entry.items():
            if kind in ("resource", "data"):
                for name, inner in body.items():
                    found[(label, name)] = inner
            else:
                found[label] = body
    return found


def strings(node: Any) -> list[str]:
    """Every string value (expressions included) anywhere under ``node``."""
    if isinstance(node, dict):
        return [s for v in node.values() for s in strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in strings(v)]
    return [node] if isinstance(node, str) else []


def literal(value: Any) -> Any:
    """A quoted string value's text (``"x"`` -> ``x``); anything else as it is."""
    return unquote(value) if isinstance(value, str) else value


@dataclass
class Module:
    """One Terraform module (a folder of .tf files, symlinks followed), parsed."""

    path: Path
    files: dict[str, dict[str, Any]] = field(default_factory=dict)

    def tree(self, kind: str) -> list[dict[str, Any]]:
        return [entry for tree in self.files.values() for entry in tree.get(kind, [])]

    def all(self, kind: str) -> dict[Any, Any]:
        merged: dict[Any, Any] = {}
        for tree in self.files.values():
            merged.update(blocks(tree, kind))
        return merged

    @property
    def variables(self) -> dict[str, Any]:
        return self.all("variable")

    @property
    def outputs(self) -> dict[str, Any]:
        return self.all("output")

    @property
    def resources(self) -> dict[tuple[str, str], Any]:
        return self.all("resource")

    @property
    def data(self) -> dict[tuple[str, str], Any]:
        return self.all("data")

    @property
    def modules(self) -> dict[str, Any]:
        return self.all("module")

    @property
    def locals(self) -> set[str]:
        return {name for entry in self.tree("locals") for name in entry}

    def of_type(self, resource_type: str) -> dict[str, Any]:
        return {name: body for (kind, name), body in self.resources.items() if kind == resource_type}

    def child(self, name: str) -> Module | None:
        source = literal(self.modules[name].get("source", ""))
        return load(self.path / source) if source.startswith(".") else None

    def unresolved(self) -> list[str]:
        """References to a variable, local, module (output), data source or resource this module does not declare.

        A ``moved`` block's ``from`` names an address that no longer exists, by design: it must *not* be declared
        (Terraform refuses a move from a live address), while its ``to`` must resolve like any reference.
        """
        variables, local_names = set(self.variables), self.locals
        resources, data = set(self.resources), set(self.data)
        problems = []
        for file, tree in self.files.items():
            moves = tree.get("moved", [])
            for move in moves:
                for rtype, name in RESOURCE_REF.findall(move.get("from", "")):
                    if (rtype, name) in resources:
                        problems.append(f"{file}: moved from {rtype}.{name}, which is still declared")
            references = {kind: body for kind, body in tree.items() if kind != "moved"}
            for text in strings(references) + [move.get("to", "") for move in moves]:
                if "${" not in text and "." not in text:
                    continue
                loop_vars = {v for pair in FOR_VARS.findall(text) for v in pair if v}
                for kind, name, attr in NAMED_REF.findall(text):
                    if kind == "var" and name not in variables:
                        problems.append(f"{file}: var.{name} is not declared")
                    elif kind == "local" and name not in local_names:
                        problems.append(f"{file}: local.{name} is not declared")
                    elif kind == "module":
                        if name not in self.modules:
                            problems.append(f"{file}: module.{name} is not declared")
                        elif attr and (child := self.child(name)) is not None and attr not in child.outputs:
                            problems.append(f"{file}: module.{name}.{attr}: ../{name} has no output {attr!r}")
                    elif kind == "data" and attr and (name, attr) not in data:
                        problems.append(f"{file}: data.{name}.{attr} is not declared")
                for rtype, name in RESOURCE_REF.findall(text):
                    if rtype in loop_vars:
                        continue
                    if (rtype, name) not in resources:
                        problems.append(f"{file}: {rtype}.{name} is not declared")
        return sorted(set(problems))


@cache
def load(path: Path) -> Module:
    module = Module(path.resolve())
    for file in sorted(path.glob("*.tf")):
        with file.open() as handle:
            module.files[file.name] = normalize(hcl2.load(handle))
    assert module.files, f"{path} has no .tf files"
    return module


def module_dirs() -> list[Path]:
    """Every folder of deploy/terraform holding .tf files: modules, the shared region stack and the environments."""
    return sorted({p.parent for p in TERRAFORM.rglob("*.tf") if ".terraform" not in p.parts})


def tfvars(env: str) -> dict[str, Any]:
    with (ENVS / env / "terraform.tfvars").open() as handle:
        return {k: literal(v) for k, v in normalize(hcl2.load(handle)).items()}


def expression(value: Any) -> str:
    """An attribute's expression text without python-hcl2's ``${}`` (``"${var.x}"`` -> ``var.x``)."""
    text = str(value)
    return text[2:-1] if text.startswith("${") and text.endswith("}") else text


def attr(body: dict[str, Any], *path: str) -> Any:
    """A nested attribute: blocks are lists of one body each (``attr(r, "versioning", "enabled")``)."""
    node: Any = body
    for key in path:
        if isinstance(node, list):
            node = node[0] if node else None
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node[0] if isinstance(node, list) and node and isinstance(node[0], dict) else node
