"""API keys in URLs and headers never reach a repr, an error or a log line."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anyio_workflow.devnet import Anvil
from anyio_workflow.errors import RpcError
from anyio_workflow.rpc import FallbackTransport, HttpTransport, JsonRpcClient, redact_url
from anyio_workflow.rpc.redact import redact_headers

KEY = "9aa3d95b3bc440fa88ea12eaa4456161"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"https://mainnet.infura.io/v3/{KEY}", "https://mainnet.infura.io/v3/***"),
        (f"https://eth.g.alchemy.com/v2/Ab3{KEY[:20]}", "https://eth.g.alchemy.com/v2/***"),
        (f"https://rpc.example/?apikey={KEY}&x=1", "https://rpc.example/?apikey=***&x=***"),
        (f"https://user:{KEY}@rpc.example:8443/x", "https://***@rpc.example:8443/x"),
        ("http://127.0.0.1:8545", "http://127.0.0.1:8545"),
        ("not a url", "***"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


@given(
    key=st.text("abcdefABCDEF0123456789", min_size=16, max_size=64).filter(
        lambda k: any(c.isdigit() for c in k) and any(c.isalpha() for c in k)
    )
)
def test_any_key_like_segment_or_query_value_is_masked(key: str) -> None:
    for url in (
        f"https://h.example/v3/{key}",
        f"https://h.example/?k={key}",
        f"https://u:{key}@h.example/",
    ):
        assert key not in redact_url(url)


def test_headers_are_masked() -> None:
    shown = redact_headers({"Authorization": "Bearer s3cret", "X-Api-Key": "k", "Accept": "x"})
    assert shown == {"Authorization": "***", "X-Api-Key": "***", "Accept": "x"}
    transport = HttpTransport("http://127.0.0.1:1", headers={"Authorization": "Bearer s3cret"})
    assert "s3cret" not in repr(transport.headers)


async def test_a_key_never_shows_in_repr_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    async with Anvil() as node:
        dead = node.url  # nothing listens here once the node is stopped
    url = f"{dead}/v3/{KEY}?apikey={KEY}"
    caplog.set_level(logging.DEBUG)
    fallback = FallbackTransport([url, f"http://user:{KEY}@127.0.0.1:1/"], stall_timeout=0.05)
    async with JsonRpcClient(fallback, retry=None) as client:
        with pytest.raises(RpcError) as info:
            await client.request("eth_chainId")
        seen = [repr(client), repr(fallback), str(fallback.health()), fallback.endpoint]
    error: BaseException | None = info.value
    while error is not None:
        seen += [str(error), repr(error)]
        error = error.__cause__ or error.__context__
    seen += [record.getMessage() for record in caplog.records]
    for text in seen:
        assert KEY not in text
    assert "/v3/***" in fallback.endpoint
