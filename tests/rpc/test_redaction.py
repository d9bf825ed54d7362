"""API keys in URLs and headers never reach a repr, an error or a log line."""

from __future__ import annotations

import logging

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from anyio_workflow.devnet import Anvil
from anyio_workflow.errors import InvalidAddress, RpcError
from anyio_workflow.evm import to_checksum
from anyio_workflow.rpc import FallbackTransport, HttpTransport, JsonRpcClient, redact_url
from anyio_workflow.rpc.redact import redact_headers

KEY = "9aa3d95b3bc440fa88ea12eaa4456161"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"https://mainnet.infura.io/v3/{KEY}", "https://mainnet.infura.io/***"),
        (f"https://eth.g.alchemy.com/v2/Ab3{KEY[:20]}", "https://eth.g.alchemy.com/***"),
        (f"https://rpc.example/?apikey={KEY}&x=1", "https://rpc.example/***"),
        (f"https://user:{KEY}@rpc.example:8443/x", "https://rpc.example:8443/***"),
        ("https://user:pass@host/v3/KEY?apikey=abc", "https://host/***"),
        ("https://rpc.example/" + "abcdefghijklmnopqrstuvwxyzabcdef", "https://rpc.example/***"),
        ("https://rpc.example/key/Sh0rtKey9", "https://rpc.example/***"),
        ("http://127.0.0.1:8545", "http://127.0.0.1:8545"),
        ("http://127.0.0.1:8545/", "http://127.0.0.1:8545/"),
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
    assert "/***" in fallback.endpoint


async def test_httpx_log_lines_never_carry_a_credentialed_url(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"https://user:pass@rpc.example/v3/{KEY}?apikey={KEY}"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": 1, "result": "0x1"})

    caplog.set_level(logging.DEBUG)
    transport = HttpTransport(url, transport=httpx.MockTransport(handler))
    async with JsonRpcClient(transport, coalesce=False) as client:
        assert await client.request("eth_chainId") == "0x1"
    records = [r for r in caplog.records if r.name.startswith(("httpx", "httpcore"))]
    assert records  # httpx did log the request ...
    for record in records:  # ... and none of its lines shows the secrets
        text = record.getMessage()
        assert KEY not in text and "pass" not in text and "/v3/" not in text, text


def test_a_private_key_given_as_an_address_is_never_echoed() -> None:
    secret = "0x" + "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
    with pytest.raises(InvalidAddress) as info:
        to_checksum(secret)
    assert secret[2:] not in str(info.value) and "looks like a private key" in str(info.value)
