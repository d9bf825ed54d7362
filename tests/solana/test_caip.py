"""CAIP-2 chain identity: an int is the shorthand for eip155:N, Solana clusters are
named by their genesis hash, and everything else is refused with the field named."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from anyio_workflow.chains import (
    SOLANA_MAINNET,
    caip2,
    chain,
    chain_ref,
    namespace,
    solana_cluster,
)
from anyio_workflow.devnet import SolanaDevnet
from anyio_workflow.errors import InvalidArgument, NotFound
from anyio_workflow.solana import SolanaRpc


@given(st.integers(1, 10**19))
def test_an_evm_chain_id_and_its_caip2_form_are_one_chain(number: int) -> None:
    assert caip2(number) == f"eip155:{number}"
    assert chain_ref(caip2(number)) == number and namespace(number) == "eip155"


@given(st.one_of(st.integers(max_value=0), st.text(max_size=50), st.none(), st.booleans()))
def test_anything_else_is_refused_naming_the_field(value: object) -> None:
    assume(not (isinstance(value, str) and value.startswith(("eip155:", "solana:"))))
    with pytest.raises(InvalidArgument, match=r"^chain_id: "):
        chain_ref(value)


def test_solana_clusters_are_data() -> None:
    mainnet = solana_cluster(SOLANA_MAINNET)
    assert (mainnet.name, mainnet.native_symbol, mainnet.decimals) == ("solana", "SOL", 9)
    assert {t.symbol for t in mainnet.tokens} >= {"USDC"}
    assert namespace(SOLANA_MAINNET) == "solana"
    assert chain("eip155:137").name == "polygon" and chain(1).explorer == "https://etherscan.io"
    with pytest.raises(NotFound, match="is a Solana cluster"):
        chain(SOLANA_MAINNET)
    with pytest.raises(InvalidArgument):
        chain_ref("solana:tooShort")


async def test_the_embedded_devnet_has_a_caip2_id_of_its_own() -> None:
    devnet = SolanaDevnet()
    async with devnet.client() as client:
        assert await SolanaRpc(client).chain_id() == devnet.chain_id
    assert devnet.chain_id.startswith("solana:") and chain_ref(devnet.chain_id) == devnet.chain_id
    assert SolanaDevnet(name="other").chain_id != devnet.chain_id
