"""web.client_address: X-Forwarded-For believed from trusted proxies only."""

import ipaddress

from web.client_address import client_address

PROXIES = [ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("127.0.0.1/32")]


def test_without_trusted_proxies_the_peer_is_the_client():
    assert client_address("192.0.2.9", "203.0.113.5", []) == "192.0.2.9"


def test_a_trusted_proxy_forwards_the_client():
    assert client_address("127.0.0.1", "203.0.113.5", PROXIES) == "203.0.113.5"
    assert client_address("127.0.0.1", "198.51.100.1, 203.0.113.5, 10.0.0.7",
                          PROXIES) == "203.0.113.5"  # the client wrote the leftmost one


def test_an_untrusted_peer_cannot_claim_an_address():
    assert client_address("192.0.2.9", "203.0.113.5", PROXIES) == "192.0.2.9"


def test_malformed_forwarded_for_keeps_the_peer():
    assert client_address("127.0.0.1", "<script>", PROXIES) == "127.0.0.1"
    assert client_address("127.0.0.1", "", PROXIES) == "127.0.0.1"
    assert client_address(None, None, PROXIES) == "unknown"
