"""Typed contract classes from an ABI (issue 18: "typed enough that an IDE completes
``functions``"): the written module type-checks under mypy --strict, a wrong argument is
a type error, and its calls encode as the dynamic contract's do."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from anyio_workflow.cli import app
from anyio_workflow.contracts import artifact
from anyio_workflow.evm import Contract
from anyio_workflow.evm.codegen import contract_module

TOKEN = "0x" + "11" * 20
VENDOR = "0x" + "22" * 20


def test_a_typed_class_is_checked_by_mypy_and_encodes_as_the_dynamic_one(
    tmp_path: Path,
) -> None:
    abi_file = tmp_path / "TestToken.json"
    abi_file.write_text(json.dumps({"abi": artifact("TestToken").abi}))
    written = CliRunner().invoke(app, ["contract-stub", str(abi_file), "--name", "TestToken"])
    assert written.exit_code == 0, written.output
    module = tmp_path / "test_token.py"
    module.write_text(written.stdout)
    assert written.stdout == contract_module("TestToken", artifact("TestToken").abi) + "\n"
    (tmp_path / "use.py").write_text(
        "from test_token import TestToken\n"
        f"token = TestToken({TOKEN!r})\n"
        f"ok = token.functions.transfer({VENDOR!r}, 5)\n"
        "moved = token.events.Transfer\n"
        "wrong = token.functions.transfer(5, 'five')\n"
    )
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "use.py",
         "test_token.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    errors = [line for line in checked.stdout.splitlines() if ": error:" in line]
    assert [e.split(":")[0:2] for e in errors] == [["use.py", "5"], ["use.py", "5"]], errors
    assert 'incompatible type "int"; expected "str"' in checked.stdout
    spec = importlib.util.spec_from_file_location("test_token", module)
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    typed = loaded.TestToken(TOKEN)
    dynamic = Contract(TOKEN, artifact("TestToken").abi)
    assert typed.functions.transfer(VENDOR, 5) == dynamic.functions.transfer(VENDOR, 5)
    assert typed.events.Transfer.topic == dynamic.events.Transfer.topic


def test_a_bad_class_name_or_abi_is_refused(tmp_path: Path) -> None:
    abi_file = tmp_path / "TestToken.json"
    abi_file.write_text(json.dumps(artifact("TestToken").abi))
    named = CliRunner().invoke(app, ["contract-stub", str(abi_file), "--name", "class"])
    assert named.exit_code == 2 and "not a Python class name" in named.output
    missing = CliRunner().invoke(app, ["contract-stub", str(tmp_path / "no.json"), "--name", "T"])
    assert missing.exit_code == 2 and "cannot read" in missing.output
