"""Typed contract classes from a JSON ABI, for IDEs and type checkers.

``Contract(address, abi)`` resolves ``functions.NAME`` at run time, which no IDE can
complete. :func:`contract_module` writes a module with a :class:`Contract` subclass whose
``functions`` and ``events`` are classes with one typed method or property per entry of
the ABI, so that ``token.functions.transfer(`` completes and mypy checks the arguments::

    anyio-workflow contract-stub TestToken.json --name TestToken > test_token.py

    from test_token import TestToken
    token = TestToken(address, eth)
    await token.functions.balanceOf(owner).call()

ABI types map to Python: integers to ``int``, ``address`` and ``string`` to ``str``,
``bool`` to ``bool``, bytes to ``bytes``, arrays to ``list[...]``, tuples to
``tuple[...]``. Overloaded names get one method per overload, suffixed by its argument
count (``f_1``, ``f_2``) besides the dynamic ``functions["f(uint256)"]``.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import InvalidArgument
from .abi import entry_types

__all__ = ["contract_module", "python_type"]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def python_type(param: Mapping[str, Any]) -> str:
    """The Python annotation of one ABI parameter."""
    kind = str(param["type"])
    array = re.match(r"^(.*)\[(\d*)\]$", kind)
    if array:
        inner = dict(param, type=array[1])
        return f"list[{python_type(inner)}]"
    if kind == "tuple":
        parts = [python_type(c) for c in param.get("components", [])]
        return f"tuple[{', '.join(parts)}]" if parts else "tuple[()]"
    if kind.startswith(("uint", "int")):
        return "int"
    if kind in ("address", "string"):
        return "str"
    if kind == "bool":
        return "bool"
    if kind.startswith("bytes"):
        return "bytes"
    raise InvalidArgument(f"abi: no Python type for {kind!r}")


def _name(name: str, taken: set[str]) -> str:
    name = name if _IDENTIFIER.match(name) else "arg"
    if keyword.iskeyword(name) or name in taken:
        name += "_"
    while name in taken:
        name += "_"
    taken.add(name)
    return name


def contract_module(name: str, abi: Sequence[Mapping[str, Any]]) -> str:
    """Python source of a module with ``class NAME(Contract)``, typed from ``abi``."""
    if not _IDENTIFIER.match(name) or keyword.iskeyword(name):
        raise InvalidArgument(f"name: {name!r} is not a Python class name")
    functions = [e for e in abi if e.get("type", "function") == "function" and "name" in e]
    events = [e for e in abi if e.get("type") == "event" and "name" in e]
    counts: dict[str, int] = {}
    for entry in functions:
        counts[entry["name"]] = counts.get(entry["name"], 0) + 1
    lines = [
        f'"""``{name}``: a typed contract class, written by anyio_workflow.evm.codegen from',
        'its ABI. Do not edit: write it again from the ABI."""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Any",
        "",
        "from anyio_workflow.evm.contract import Contract, ContractCall, ContractEvent",
        "",
        f"ABI: list[dict[str, Any]] = {[dict(e) for e in abi]!r}",
        "",
        "",
        f"class {name}Functions:",
        f'    """The functions of {name}: each returns a :class:`ContractCall` (send it, or',
        '    ``await call()``)."""',
        "",
        "    def __init__(self, contract: Contract) -> None:",
        "        self._contract = contract",
    ]
    used: set[str] = {"_contract"}
    for entry in functions:
        inputs = entry.get("inputs", [])
        method = entry["name"] if counts[entry["name"]] == 1 else f"{entry['name']}_{len(inputs)}"
        method = _name(method, used)
        taken: set[str] = {"self", "value", "gas"}
        args = [(_name(p.get("name") or f"arg{i}", taken), python_type(p))
                for i, p in enumerate(inputs)]  # fmt: skip
        signature = f"{entry['name']}({','.join(entry_types(inputs))})"
        outputs = ", ".join(python_type(p) for p in entry.get("outputs", [])) or "nothing"
        params = "".join(f", {a}: {t}" for a, t in args)
        lines += [
            "",
            f"    def {method}(self{params}, *, value: int = 0, gas: int | None = None)"
            " -> ContractCall:",
            f'        """``{signature}``; its call returns {outputs}."""',
            f"        call: ContractCall = self._contract.function({signature!r})(",
            f"            {''.join(a + ', ' for a, _ in args)}value=value, gas=gas",
            "        )",
            "        return call",
        ]
    lines += [
        "",
        "",
        f"class {name}Events:",
        f'    """The events of {name}."""',
        "",
        "    def __init__(self, contract: Contract) -> None:",
        "        self._contract = contract",
    ]
    seen: set[str] = {"_contract"}
    for entry in events:
        prop = _name(entry["name"], seen)
        lines += [
            "",
            "    @property",
            f"    def {prop}(self) -> ContractEvent:",
            f"        return self._contract.event({entry['name']!r})",
        ]
    lines += [
        "",
        "",
        f"class {name}(Contract):",
        f'    """A deployed {name}: ``{name}(address, eth)``."""',
        "",
        "    def __init__(self, address: str, eth: Any = None) -> None:",
        "        super().__init__(address, ABI, eth)",
        "",
        "    @property",
        f"    def functions(self) -> {name}Functions:",
        f"        return {name}Functions(self)",
        "",
        "    @property",
        f"    def events(self) -> {name}Events:",
        f"        return {name}Events(self)",
        "",
    ]
    return "\n".join(lines)
