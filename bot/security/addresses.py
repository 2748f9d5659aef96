"""The client's address, believing X-Forwarded-For only from the configured trusted proxies."""

from __future__ import annotations

import ipaddress
import logging

from starlette.requests import Request

logger = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN_ADDRESS = "unknown"


def parse_networks(text: str) -> tuple[Network, ...]:
    """`10.0.0.1, 192.168.0.0/16, ::1` as networks; a bad entry is an error at start-up."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


class ClientAddresses:
    """Where a request comes from.

    The peer address, unless the peer is a trusted proxy: then X-Forwarded-For is read from the
    right (the entries our own proxies appended) to the first address that is not a trusted proxy.
    A header from anybody else is ignored, so a client cannot pick its own address.
    """

    def __init__(self, trusted_proxies: tuple[Network, ...] = ()) -> None:
        self._trusted = trusted_proxies

    def _is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._trusted)

    def of(self, request: Request) -> str:
        peer = request.client.host if request.client else UNKNOWN_ADDRESS
        if not self._is_trusted(peer):
            return peer
        hops = [hop.strip() for hop in ",".join(request.headers.getlist("x-forwarded-for")).split(",")]
        for hop in reversed([hop for hop in hops if hop]):
            if not self._is_trusted(hop):
                return hop if _is_address(hop) else peer
        return peer

    def is_https(self, request: Request) -> bool:
        """Served over HTTPS: directly, or by a trusted proxy that says so."""
        if request.url.scheme == "https":
            return True
        peer = request.client.host if request.client else ""
        forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
        return self._is_trusted(peer) and forwarded == "https"


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
