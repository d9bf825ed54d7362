"""What a user writes type-checks under plain ``mypy --strict``, without the pydantic
plugin (issue 27: the documented ``AsyncWorkflowConfig(gas_strategy="eco")`` and
``TxRequest(to=..., value=...)`` were 7 and 2 false errors: a field's default given by
position, ``Field(None)``, is not a default to a type checker, only ``default=`` is)."""

from __future__ import annotations

from pathlib import Path

USER_CODE = """
from decimal import Decimal

from anyio_workflow import AsyncWorkflowConfig, RetryPolicy, Task
from anyio_workflow.evm import TxRequest

config = AsyncWorkflowConfig(gas_strategy="eco")
seed = AsyncWorkflowConfig(max_workers=8, gas_strategy="fast", auto_store_proofs=True,
                           rpc_fallback=True, context_length=100, timeout=60)
tx = TxRequest(to="0x" + "11" * 20, value=5)
task = Task(action="payout", params={"amount": Decimal("1.5")})
retry = RetryPolicy(attempts=5)
"""


def test_the_documented_models_type_check_without_the_pydantic_plugin(tmp_path: Path) -> None:
    from mypy import api

    user = tmp_path / "user.py"
    user.write_text(USER_CODE)
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\nstrict = True\n")  # no plugins
    out, err, status = api.run(
        [str(user), "--config-file", str(config), "--no-incremental",
         "--cache-dir", str(tmp_path / "cache")]
    )  # fmt: skip
    assert status == 0, out + err
