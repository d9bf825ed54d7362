"""Endpoints are checked where they are given: a URL that cannot work is refused at
construction, naming the field, with its credentials kept out of the message."""

from __future__ import annotations

import pytest

from anyio_workflow.errors import InvalidArgument
from anyio_workflow.rpc import HttpTransport


@pytest.mark.parametrize(
    "url", ["ftp://node.test/", "ws://node.test/", "node.test:8545", "http://", "https:///x"]
)
def test_an_endpoint_that_is_not_http_is_refused_at_construction(url: str) -> None:
    """Not after three attempts at run time (issue 27): where the URL is given."""
    from anyio_workflow import AsyncWorkflow
    from anyio_workflow.agents import NativeTransferAgent

    agents = [NativeTransferAgent("0x" + "11" * 20, 1)]
    with pytest.raises(InvalidArgument, match=r"url: .* is not an http:// or https:// URL"):
        HttpTransport(url)
    with pytest.raises(InvalidArgument, match=r"rpc\[1\]: .* is not an http://"):
        AsyncWorkflow(agents, rpc={1: url})
    with pytest.raises(InvalidArgument, match=r"rpc\[137\]\[1\]: .* is not an http://"):
        AsyncWorkflow(agents, rpc={137: ["https://good.test/", url]})


def test_a_refused_endpoints_credentials_are_not_shown() -> None:
    with pytest.raises(InvalidArgument) as info:
        HttpTransport("ftp://user:hunter2@node.test/key/s3cr3t")
    assert "hunter2" not in str(info.value) and "s3cr3t" not in str(info.value)
