"""Personal fields reach a record only as salted commitments; the salts file reveals them
to an auditor (``verify --reveal``), and nothing else does (issue 16)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio.to_thread
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from anyio_workflow import AsyncWorkflow, AsyncWorkflowConfig, BaseAgent, Task
from anyio_workflow.agents import AuditorAgent
from anyio_workflow.audit.personal import commitment, seal, unsealed
from anyio_workflow.cli import app
from anyio_workflow.storage import LocalStore

VENDOR = "Müller & Söhne GmbH"
INVOICE = "INV-2026-0042"


class Invoice(BaseAgent):
    async def execute(self, task: Task, ctx: Any) -> dict[str, Any]:
        return {"contact": "ap@mueller.example", "approved": True, "personal": ["contact"]}


async def test_a_record_holds_commitments_and_the_salts_reveal_them(tmp_path: Path) -> None:
    store, salts = tmp_path / "store", tmp_path / "salts"
    auditor = AuditorAgent(store=LocalStore(store), salts=salts)
    workflow = AsyncWorkflow([Invoice(), auditor], AsyncWorkflowConfig())
    result = await workflow.run({"action": "pay_invoice", "params": {
        "vendor": VENDOR, "invoice": INVOICE, "amount": 5, "personal": ["vendor", "invoice"],
    }})  # fmt: skip
    assert result.ok, result.error
    audit = result.audit
    assert audit is not None and audit.salts is not None
    params = audit.record.task["params"]
    assert set(params["vendor"]) == {"commitment"} and params["amount"] == 5
    (entry,) = [a for a in audit.record.agents if a.name == "Invoice"]
    assert set(entry.output["contact"]) == {"commitment"} and entry.output["approved"] is True
    stored = b"".join(p.read_bytes() for p in store.rglob("*") if p.is_file())
    for secret in (VENDOR, INVOICE, "ap@mueller.example"):
        assert secret.encode() not in stored  # not on IPFS, in any form we wrote
    kept = json.loads(audit.salts.read_text())
    assert kept["task"]["vendor"]["value"] == VENDOR

    def verify(reveal: Path) -> Any:
        args = ["verify", str(audit.cid), "--store", str(store), "--reveal", str(reveal),
                "--json"]  # fmt: skip
        return CliRunner().invoke(app, args)

    good = await anyio.to_thread.run_sync(verify, audit.salts)
    checks = {c["name"]: c["ok"] for c in json.loads(good.stdout)["checks"]}
    assert checks["reveal task.params.vendor"] and checks["reveal task.params.invoice"]
    assert checks["reveal Invoice.contact"]
    kept["task"]["vendor"]["value"] = "Someone Else Ltd"
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(kept))
    bad = await anyio.to_thread.run_sync(verify, forged)
    assert bad.exit_code == 1
    checks = {c["name"]: c["ok"] for c in json.loads(bad.stdout)["checks"]}
    assert checks["reveal task.params.vendor"] is False and checks["reveal task.params.invoice"]


values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(fields=st.dictionaries(st.text(min_size=1, max_size=8), values, min_size=1, max_size=5),
       other=values)  # fmt: skip
def test_only_the_revealed_value_and_salt_open_a_commitment(
    fields: dict[str, Any], other: Any
) -> None:
    data = {**fields, "personal": list(fields)}
    reveal: dict[str, Any] = {}
    sealed = seal(data, reveal)
    assert all(ok for _, ok in unsealed(sealed, reveal))
    for name, shown in reveal.items():
        if other != shown["value"]:
            wrong = {name: {"salt": shown["salt"], "value": other}}
            assert unsealed(sealed, wrong) == [(name, False)]
        salt = bytes.fromhex(shown["salt"][2:])
        assert sealed[name]["commitment"] == commitment(salt, shown["value"])
