"""A planted bug for the harness to find: an agent that signs again when a broadcast's
answer is lost. Its first transaction may already be on chain; the second pays again."""

from __future__ import annotations

from eth_account.signers.local import LocalAccount

from anyio_workflow import BaseAgent, Role, Task
from anyio_workflow.agents import AgentContext
from anyio_workflow.errors import RpcError
from anyio_workflow.testing import Payout


class ResigningPayoutAgent(BaseAgent[AgentContext]):
    """Pays ``payouts`` one after another with its own send loop, which is wrong: when a
    broadcast raises, it reads the pending nonce again and signs anew."""

    role = Role.EXECUTOR

    def __init__(self, account: LocalAccount, payouts: list[Payout]) -> None:
        super().__init__()
        self.account = account
        self.payouts = payouts

    async def execute(self, task: Task, ctx: AgentContext) -> list[str]:
        eth = ctx.eth()
        client = ctx.rpc()  # the bare client: EthRpc's own send looks a lost answer up
        sent = []
        for payout in self.payouts:
            for _ in range(3):
                nonce = await eth.get_transaction_count(self.account.address, "pending")
                tx = {
                    "to": payout.to, "value": payout.amount, "gas": 21_000, "nonce": nonce,
                    "chainId": ctx.chain_id, "maxFeePerGas": 10 * 10**9,
                    "maxPriorityFeePerGas": 10**9, "type": 2,
                }  # fmt: skip
                raw = self.account.sign_transaction(tx).raw_transaction
                try:
                    tx_hash = await client.request("eth_sendRawTransaction", ["0x" + raw.hex()])
                except RpcError:
                    continue  # THE BUG: the node may have it; signing again pays twice
                await eth.wait_for_receipt(tx_hash)
                sent.append(tx_hash)
                break
        return sent
