"""The client's address behind trusted proxies (CASEWATCH_WEB_TRUSTED_PROXIES).

Without trusted proxies the peer's address is the client's. With them, X-Forwarded-For is
read from the right: each hop appended by a trusted proxy is skipped, and the first address
not in the list is the client's (anything further left was written by the client and is
not believed)."""

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _trusted(address: str, proxies: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in proxies)


def client_address(peer: str | None, forwarded_for: str | None,
                   proxies: Sequence[Network]) -> str:
    peer = peer or "unknown"
    if not proxies or not _trusted(peer, proxies) or not forwarded_for:
        return peer
    hops = [h.strip() for h in forwarded_for.split(",")[-20:] if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # garbage from a proxy: keep the peer
    return hops[0] if hops else peer
