"""The shape of the package, checked from its source: one direction of dependency, one
error tree, and cancellation written down.

The import graph is read with ``ast`` over runtime imports (module level and inside
functions; ``if TYPE_CHECKING:`` blocks are not run, so they do not count).
"""

from __future__ import annotations

import ast
import builtins
import inspect
from collections.abc import Iterator
from pathlib import Path

import pytest

import anyio_workflow
from anyio_workflow import errors

PACKAGE = Path(anyio_workflow.__file__).parent

# The two names that moved a layer up stay importable from their documented places through
# a module __getattr__ (with a DeprecationWarning); these imports are the only upward ones.
MOVED_ALIASES = {
    ("anyio_workflow.audit", "anyio_workflow.agents.auditor"),
    ("anyio_workflow.rpc", "anyio_workflow.solana"),
    # AsyncWorkflow.submit reaches the optional Temporal extra when it is called.
    ("anyio_workflow.workflow.engine", "anyio_workflow.temporal.client"),
}

JOURNAL_MUST_NOT = [
    *("rpc", "evm", "solana", "storage", "agents", "workflow", "audit", "cli", "devnet"),
    "testing",
]

# (module prefix, prefixes it must not import at run time)
LAYERS = [
    ("anyio_workflow.errors", ["anyio_workflow."]),
    ("anyio_workflow.core", ["anyio_workflow."]),  # but errors and core, allowed below
    ("anyio_workflow.chains", ["anyio_workflow."]),
    ("anyio_workflow.journal", JOURNAL_MUST_NOT),
    ("anyio_workflow.compliance", ["workflow", "cli", "devnet", "testing"]),
    ("anyio_workflow.storage", ["rpc", "evm", "solana", "agents", "workflow", "audit", "cli"]),
    ("anyio_workflow.rpc", ["evm", "solana", "agents", "workflow", "audit", "cli", "devnet"]),
    ("anyio_workflow.evm", ["agents", "workflow", "audit", "solana", "protocols", "cli", "devnet"]),
    ("anyio_workflow.solana", ["evm", "agents", "workflow", "audit", "cli", "devnet"]),
    ("anyio_workflow.protocols", ["agents", "workflow", "audit", "solana", "cli", "devnet"]),
    ("anyio_workflow.audit", ["agents", "workflow", "cli", "devnet", "testing"]),
    ("anyio_workflow.agents", ["workflow", "cli", "devnet", "testing"]),
    ("anyio_workflow.workflow", ["cli", "devnet", "testing", "temporal"]),
    ("anyio_workflow.temporal", ["cli", "testing"]),
    ("anyio_workflow.devnet", ["agents", "workflow", "audit", "cli"]),
]
ALWAYS_ALLOWED = ("anyio_workflow.errors", "anyio_workflow.core", "anyio_workflow._hash")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> Iterator[tuple[str, Path, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield module_name(path), path, ast.parse(path.read_text(), str(path))


def runtime_imports(name: str, path: Path, tree: ast.Module) -> Iterator[tuple[str, str, int]]:
    """(imported module, imported name or "", line) for every import that runs."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def visit(node: ast.AST) -> Iterator[tuple[str, str, int]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for sub in child.orelse:
                    yield from visit(sub)
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, "", child.lineno
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                for alias in child.names:
                    submodule = f"{target}.{alias.name}"
                    if (PACKAGE.parent / submodule.replace(".", "/")).with_suffix(".py").exists():
                        yield submodule, "", child.lineno  # `from . import module`
                    else:
                        yield target, alias.name, child.lineno
            yield from visit(child)

    yield from visit(tree)


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for name, path, tree in modules():
        edges[name] = {
            target
            for target, _, _ in runtime_imports(name, path, tree)
            if target.startswith("anyio_workflow") and (name, target) not in MOVED_ALIASES
        }
    return edges


def test_the_layers_point_one_way() -> None:
    broken = []
    for name, path, tree in modules():
        for target, _, line in runtime_imports(name, path, tree):
            if not target.startswith("anyio_workflow.") or (name, target) in MOVED_ALIASES:
                continue
            if target.startswith(ALWAYS_ALLOWED) and not name.startswith("anyio_workflow.errors"):
                continue
            own = ".".join(name.split(".")[:2])
            if (name.count(".") >= 1 and target.startswith(own + ".")) or target == own:
                continue  # within its own package
            for layer, forbidden in LAYERS:
                if name == layer or name.startswith(layer + "."):
                    prefixes = [
                        f if f.startswith("anyio") else f"anyio_workflow.{f}" for f in forbidden
                    ]
                    if any(
                        target == p.rstrip(".")
                        or target.startswith(p.rstrip(".") + ".")
                        or target.startswith(p)
                        for p in prefixes
                    ):
                        broken.append(
                            f"{path.relative_to(PACKAGE.parent)}:{line} {name} -> {target}"
                        )
    assert not broken, "imports against the rule of dependency:\n" + "\n".join(broken)


def test_the_runtime_import_graph_has_no_cycles() -> None:
    edges = graph()
    # Importing a module runs its packages' __init__ first (all but the top package's,
    # which every user import runs anyway): count those as edges too.
    for name in list(edges):
        parts = name.split(".")
        for depth in range(2, len(parts)):
            parent = ".".join(parts[:depth])
            if parent in edges and parent != name:
                edges[name].add(parent)
    edges = {n: {t for t in ts if t in edges and t != "anyio_workflow"} for n, ts in edges.items()}
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if nxt.startswith(node + "."):
                continue  # a package importing its own modules
            if state.get(nxt) == 1:
                if not node.startswith(nxt + "."):
                    cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_nobody_imports_another_modules_private_names() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line} from {target} import {imported}"
        for name, path, tree in modules()
        for target, imported, line in runtime_imports(name, path, tree)
        if imported.startswith("_") and not imported.startswith("__") and target != name
    ]
    assert not found, "\n".join(found)


def test_the_moved_names_still_import_from_their_old_places() -> None:
    from anyio_workflow.agents import AuditorAgent
    from anyio_workflow.solana import SolanaRpc

    with pytest.warns(DeprecationWarning, match="anyio_workflow.agents"):
        from anyio_workflow.audit import AuditorAgent as old_auditor
    with pytest.warns(DeprecationWarning, match="anyio_workflow.solana"):
        from anyio_workflow.rpc import SolanaRpc as old_rpc
    assert old_auditor is AuditorAgent and old_rpc is SolanaRpc


# -- one error tree ----------------------------------------------------------------------

BUILTIN_EXCEPTIONS = {
    name for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
}  # fmt: skip


def test_every_exception_class_is_in_the_error_tree() -> None:
    outside = []
    for name, path, tree in modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and name != "anyio_workflow.errors":
                bases = {ast.unparse(b).split(".")[-1] for b in node.bases}
                tree_names = set(errors.__all__)
                if bases & (BUILTIN_EXCEPTIONS | tree_names):
                    outside.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name}")
    assert not outside, "exception classes outside errors.py:\n" + "\n".join(outside)


def test_the_tree_lists_every_error_and_each_derives_from_the_base() -> None:
    classes = [
        value for value in vars(errors).values()
        if inspect.isclass(value) and issubclass(value, BaseException)
        and value.__module__ == errors.__name__
    ]  # fmt: skip
    assert len(classes) > 50
    drawing = errors.__doc__ or ""
    for cls in classes:
        assert issubclass(cls, errors.AnyioWorkflowError), cls
        assert cls.__name__ in errors.__all__, cls
        assert f" {cls.__name__} " in drawing or f"── {cls.__name__}" in drawing, cls
        assert cls.__doc__, f"{cls.__name__} has no docstring saying when it is raised"


def test_nothing_raises_a_bare_builtin_error() -> None:
    bare = []
    for name, path, tree in modules():
        if name == "anyio_workflow.errors":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                called = ast.unparse(node.exc.func)
                # AttributeError is the protocol of __getattr__/__setattr__; NotImplementedError
                # marks an abstract method.
                if called in BUILTIN_EXCEPTIONS - {"NotImplementedError", "AttributeError"}:
                    bare.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {called}")
    assert not bare, "raise our own errors (errors.py), not bare builtins:\n" + "\n".join(bare)


def test_errors_users_expect_as_builtins_still_are() -> None:
    assert issubclass(errors.InvalidArgument, ValueError)
    assert issubclass(errors.InvalidType, TypeError)
    assert issubclass(errors.NotFound, KeyError)
    assert issubclass(errors.UsageError, RuntimeError)
    assert issubclass(errors.BlockNotFound, LookupError)
    assert str(errors.NotFound("rpc: no endpoint")) == "rpc: no endpoint"  # not quoted


# -- cancellation written down -----------------------------------------------------------


def public_async_functions() -> Iterator[tuple[str, str, str]]:
    """(where, docstring, docstring of its class) of each public async function."""
    for _name, path, tree in modules():
        where = path.relative_to(PACKAGE.parent)

        def visit(
            node: ast.AST, cls: ast.ClassDef | None, where: Path = where
        ) -> Iterator[tuple[str, str, str]]:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.ClassDef) and not child.name.startswith("_"):
                    yield from visit(child, child, where)
                elif isinstance(child, ast.AsyncFunctionDef):
                    overload = any("overload" in ast.unparse(d) for d in child.decorator_list)
                    public = not overload and (
                        not child.name.startswith("_") or child.name in ("__aenter__", "__call__")
                    )
                    if public:
                        owner = ast.get_docstring(cls) or "" if cls else ""
                        label = f"{where}:{child.lineno} {cls.name + '.' if cls else ''}"
                        yield label + child.name, ast.get_docstring(child) or "", owner

        yield from visit(tree, None)


def test_every_public_async_function_says_what_cancellation_does() -> None:
    functions = list(public_async_functions())
    assert len(functions) > 100
    silent = [
        where for where, doc, owner in functions
        if "cancel" not in doc.lower() and "Cancellation:" not in owner
    ]  # fmt: skip
    assert not silent, "say what cancellation does (here or in the class):\n" + "\n".join(silent)
