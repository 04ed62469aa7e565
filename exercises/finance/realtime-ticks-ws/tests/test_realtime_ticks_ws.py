"""Verifier for realtime-ticks-ws: auth before accept, subscribe protocol, per-symbol fan-out, cleanup.

Every test runs inside `with TestClient(app)`, so WebSocket sessions and HTTP requests share one event loop.
A test never waits for a frame that might not come: after publishing it sends a ping, and the next frame
proves what was (or was not) delivered before the pong.
"""
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from ticks_ws import create_app

TOKEN = "t0k3n-abc"
URL = f"/v1/stream?token={TOKEN}"


@pytest.fixture()
def client():
    with TestClient(create_app(tokens=[TOKEN])) as c:
        yield c


def tick(client, symbol, price="187.25", size=100, ts="2024-03-01T14:30:00Z"):
    resp = client.post("/internal/ticks", json={"symbol": symbol, "price": price, "size": size, "ts": ts})
    assert resp.status_code == 202, f"POST /internal/ticks must give 202, got {resp.status_code}: {resp.text}"
    return resp.json()["delivered"]


def subscribe(ws, *symbols, action="subscribe"):
    ws.send_json({"action": action, "symbols": list(symbols)})
    return ws.receive_json()


def next_frame_before_pong(ws):
    """Send a ping; return the frames that arrive before the pong."""
    ws.send_json({"action": "ping"})
    frames = []
    for _ in range(5):
        frame = ws.receive_json()
        if frame == {"type": "pong"}:
            return frames
        frames.append(frame)
    raise AssertionError(f"no pong after a ping; got {frames}")


@pytest.mark.parametrize("url", ["/v1/stream?token=wrong", "/v1/stream"], ids=["bad-token", "no-token"])
def test_bad_token_closes_1008_before_accept(client, url):
    with pytest.raises(WebSocketDisconnect) as info:
        with client.websocket_connect(url):
            pass  # reaching here means the server accepted an unauthenticated socket
    assert info.value.code == 1008, f"reject with close code 1008 (policy violation), got {info.value.code}"


def test_subscribe_ack_is_normalised_and_deduplicated(client):
    with client.websocket_connect(URL) as ws:
        ack = subscribe(ws, "aapl", " AAPL ", "msft")
        assert ack == {"type": "subscribed", "symbols": ["AAPL", "MSFT"]}, (
            f"the ack lists the whole subscription, upper-cased, stripped, de-duplicated and sorted; got {ack}"
        )
        ack = subscribe(ws, "nvda")
        assert ack == {"type": "subscribed", "symbols": ["AAPL", "MSFT", "NVDA"]}, f"subscriptions accumulate, got {ack}"


def test_only_subscribed_symbols_arrive(client):
    with client.websocket_connect(URL) as ws:
        subscribe(ws, "AAPL")
        assert tick(client, "MSFT") == 0, "nobody subscribed to MSFT: delivered must be 0"
        assert tick(client, "AAPL", price="187.10", ts="2024-03-01T14:30:01+00:00") == 1, "one AAPL subscriber"
        frames = next_frame_before_pong(ws)
        assert frames == [{"type": "tick", "symbol": "AAPL", "price": "187.10", "size": 100,
                           "ts": "2024-03-01T14:30:01Z"}], (
            f"exactly the AAPL tick must arrive (price as an exact string, ts in UTC with Z); got {frames}"
        )


def test_two_clients_are_isolated(client):
    with client.websocket_connect(URL) as a, client.websocket_connect(URL) as b:
        subscribe(a, "AAPL")
        subscribe(b, "MSFT")
        assert tick(client, "AAPL") == 1 and tick(client, "MSFT", price="410.5") == 1, "each tick has one subscriber"
        got_a, got_b = next_frame_before_pong(a), next_frame_before_pong(b)
        assert [f["symbol"] for f in got_a] == ["AAPL"], f"client A subscribed to AAPL only, got {got_a}"
        assert [f["symbol"] for f in got_b] == ["MSFT"], f"client B subscribed to MSFT only, got {got_b}"
        assert got_b[0]["price"] == "410.5", "the price string must pass through unchanged"


@pytest.mark.parametrize("frame", [
    "{not json",
    "[1, 2, 3]",
    '{"action": "dance"}',
    '{"symbols": ["AAPL"]}',
    '{"action": "subscribe", "symbols": "AAPL"}',
    '{"action": "subscribe", "symbols": []}',
    '{"action": "subscribe", "symbols": ["AAPL", 42]}',
], ids=["malformed", "array", "unknown-action", "no-action", "symbols-string", "symbols-empty", "symbols-int"])
def test_bad_messages_get_an_error_frame_and_the_socket_survives(client, frame):
    with client.websocket_connect(URL) as ws:
        ws.send_text(frame)
        reply = ws.receive_json()
        assert reply.get("type") == "error" and isinstance(reply.get("message"), str), (
            f"{frame!r} must get {{'type': 'error', 'message': ...}}, got {reply}"
        )
        ack = subscribe(ws, "AAPL")
        assert ack == {"type": "subscribed", "symbols": ["AAPL"]}, f"the socket must keep working after an error, got {ack}"


def test_unsubscribe_stops_delivery(client):
    with client.websocket_connect(URL) as ws:
        subscribe(ws, "AAPL", "MSFT")
        ack = subscribe(ws, "aapl", action="unsubscribe")
        assert ack == {"type": "unsubscribed", "symbols": ["MSFT"]}, f"the ack lists what is still subscribed, got {ack}"
        assert tick(client, "AAPL") == 0, "after unsubscribing AAPL, no one gets AAPL"
        assert next_frame_before_pong(ws) == [], "no AAPL tick may arrive after unsubscribe"


def test_disconnect_leaves_zero_clients(client):
    with client.websocket_connect(URL) as a:
        subscribe(a, "AAPL")
        with client.websocket_connect(URL) as b:
            subscribe(b, "AAPL")
            assert client.get("/internal/stats").json() == {"clients": 2}, "two open sockets are two clients"
        assert client.get("/internal/stats").json() == {"clients": 1}, "a closed socket must be removed at once"
    assert client.get("/internal/stats").json() == {"clients": 0}, "after every socket closed the hub must be empty"
    assert tick(client, "AAPL") == 0, "publishing after everyone left delivers to nobody"
