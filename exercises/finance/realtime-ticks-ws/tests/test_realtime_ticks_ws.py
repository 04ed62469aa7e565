"""Verifier for realtime-ticks-ws: auth before accept, subscribe protocol, per-symbol fan-out, cleanup.

Most tests run inside `with TestClient(app)`, so WebSocket sessions and HTTP requests share one event loop.
A test never waits for a frame that might not come: after publishing it sends a ping, and the frames that
arrive before the pong prove what was (or was not) delivered. The failed-send test drives the app directly over
ASGI, because only there can a peer's send be made to raise.
"""
import asyncio
import json

import httpx
import pytest
from fastapi.testclient import TestClient
from roadmap_pytest import local_time_zone, raises
from starlette.websockets import WebSocketDisconnect

from ticks_ws import create_app

rule = pytest.mark.rule
TOKEN, OTHER_TOKEN = "t0k3n-abc", "second-key-42"
URL = f"/v1/stream?token={TOKEN}"


@pytest.fixture()
def client():
    with TestClient(create_app(tokens=[TOKEN, OTHER_TOKEN])) as c:
        yield c


def tick(client, symbol, price="187.25", size=100, ts="2024-03-01T14:30:00Z"):
    resp = client.post("/internal/ticks", json={"symbol": symbol, "price": price, "size": size, "ts": ts})
    assert resp.status_code == 202, f"POST /internal/ticks must give 202, got {resp.status_code}: {resp.text}"
    return resp.json()["delivered"]


def subscribe(ws, *symbols, action="subscribe"):
    ws.send_json({"action": action, "symbols": list(symbols)})
    return ws.receive_json()


def frames_before_pong(ws):
    """Send a ping; return the frames that arrive before the pong."""
    ws.send_json({"action": "ping"})
    frames = []
    for _ in range(10):
        frame = ws.receive_json()
        if isinstance(frame, dict) and frame.get("type") == "pong":  # exactness is test_ping_gets_exactly_pong's job
            return frames
        frames.append(frame)
    raise AssertionError(f"no {{'type': 'pong'}} after a ping; got {frames}")


def stats(client):
    resp = client.get("/internal/stats")
    assert resp.status_code == 200, f"GET /internal/stats must give 200, got {resp.status_code}"
    return resp.json()


def symbols_of(frames):
    return [f.get("symbol") for f in frames]


# --- authentication ----------------------------------------------------------------------------------------------

@rule("auth-before-accept")
@pytest.mark.parametrize("url", ["/v1/stream?token=wrong", "/v1/stream", "/v1/stream?token=t0k3n",
                                 f"/v1/stream?token={TOKEN}x", f"/v1/stream?token={TOKEN.upper()}",
                                 "/v1/stream?token=", f"/v1/stream?token=%20{TOKEN}", f"/v1/stream?token={TOKEN}%20"],
                         ids=["bad-token", "no-token", "prefix-of-a-token", "token-plus-suffix", "token-other-case",
                              "empty-token", "token-leading-space", "token-trailing-space"])
def test_bad_token_closes_1008_before_accept(client, url):
    with raises(WebSocketDisconnect, f"{url}: the server accepted the socket; close with code 1008 BEFORE"
                                     " websocket.accept()") as info:
        with client.websocket_connect(url):
            pass  # reaching here means the server accepted an unauthenticated socket
    assert info.value.code == 1008, f"reject with close code 1008 (policy violation), got {info.value.code}"
    assert stats(client) == {"clients": 0}, "a refused connection must not be counted as a client"


@rule("auth-before-accept")
@pytest.mark.parametrize("token", [TOKEN, OTHER_TOKEN], ids=["first-token", "second-token"])
def test_every_configured_token_is_accepted(client, token):
    with client.websocket_connect(f"/v1/stream?token={token}") as ws:
        assert frames_before_pong(ws) == [], f"token {token!r} is one of the configured tokens: it must be accepted"
        assert stats(client) == {"clients": 1}, "one accepted socket is one client"


@rule("auth-before-accept")
def test_tokens_given_as_a_generator_work_for_every_connection():
    app = create_app(tokens=(t for t in [TOKEN, OTHER_TOKEN]))
    with TestClient(app) as c:
        for token in (OTHER_TOKEN, TOKEN, OTHER_TOKEN):
            with c.websocket_connect(f"/v1/stream?token={token}") as ws:
                assert frames_before_pong(ws) == [], (
                    f"tokens may be any iterable, a generator too: read it once in create_app, so {token!r} is"
                    f" accepted on every connection, not just the first"
                )


# --- the protocol ------------------------------------------------------------------------------------------------

@rule("subscribe-ack")
def test_subscribe_ack_is_the_whole_normalised_subscription(client):
    with client.websocket_connect(URL) as ws:
        ack = subscribe(ws, "msft", " AAPL ", "aapl")
        assert ack == {"type": "subscribed", "symbols": ["AAPL", "MSFT"]}, (
            f"the ack lists the whole subscription, upper-cased, stripped, de-duplicated and sorted; got {ack}"
        )
        ack = subscribe(ws, "nvda", "Aapl")
        assert ack == {"type": "subscribed", "symbols": ["AAPL", "MSFT", "NVDA"]}, (
            f"subscriptions accumulate across messages and stay de-duplicated, got {ack}"
        )


@rule("unsubscribe-ack")
def test_unsubscribe_ack_lists_what_is_left(client):
    with client.websocket_connect(URL) as ws:
        subscribe(ws, "AAPL", "MSFT", "NVDA")
        ack = subscribe(ws, " aapl ", "TSLA", action="unsubscribe")
        assert ack == {"type": "unsubscribed", "symbols": ["MSFT", "NVDA"]}, (
            f"unsubscribe normalises ' aapl ' to AAPL, ignores TSLA (not subscribed) and lists what is left; got {ack}"
        )
        ack = subscribe(ws, "msft", "nvda", action="unsubscribe")
        assert ack == {"type": "unsubscribed", "symbols": []}, f"unsubscribing everything leaves [], got {ack}"


@rule("unsubscribe-ack", "only-subscribed")
def test_unsubscribe_stops_delivery(client):
    with client.websocket_connect(URL) as ws:
        subscribe(ws, "AAPL", "MSFT")
        subscribe(ws, "aapl", action="unsubscribe")
        assert tick(client, "AAPL") == 0, "after unsubscribing AAPL, no one gets AAPL"
        assert tick(client, "MSFT") == 1, "MSFT is still subscribed"
        assert symbols_of(frames_before_pong(ws)) == ["MSFT"], "no AAPL tick may arrive after unsubscribe"


@rule("ping-pong")
def test_ping_gets_exactly_pong(client):
    with client.websocket_connect(URL) as ws:
        ws.send_text('{"action": "ping"}')
        reply = ws.receive_json()
        assert reply == {"type": "pong"}, f"a ping is answered with exactly {{'type': 'pong'}}, got {reply}"


@rule("bad-frame-error")
@pytest.mark.parametrize("frame", [
    "{not json",
    "[1, 2, 3]",
    '"subscribe"',
    '{"action": "dance"}',
    '{"action": "SUBSCRIBE", "symbols": ["AAPL"]}',
    '{"symbols": ["AAPL"]}',
    '{"action": "subscribe"}',
    '{"action": "subscribe", "symbols": "AAPL"}',
    '{"action": "subscribe", "symbols": []}',
    '{"action": "subscribe", "symbols": ["MSFT", 42]}',
    '{"action": "subscribe", "symbols": ["MSFT", "  "]}',
    '{"action": "unsubscribe", "symbols": null}',
    b'\x00\x01binary',
    b'{"action": "ping"}',
    '{"action": "PING"}',
    '{"action": "heartbeat"}',
], ids=["malformed", "array", "string", "unknown-action", "upper-case-action", "no-action", "no-symbols",
        "symbols-string", "symbols-empty", "symbols-int", "symbols-blank", "unsubscribe-null", "binary-frame",
        "binary-ping", "upper-case-ping", "heartbeat"])
def test_bad_frames_get_an_error_and_change_nothing(client, frame):
    with client.websocket_connect(URL) as ws:
        subscribe(ws, "AAPL")
        ws.send_bytes(frame) if isinstance(frame, bytes) else ws.send_text(frame)
        reply = ws.receive_json()
        assert reply.get("type") == "error" and isinstance(reply.get("message"), str), (
            f"{frame!r} must get {{'type': 'error', 'message': ...}} (only a text frame with the action exactly "
            f"\"ping\" is a ping), got {reply}"
        )
        ack = subscribe(ws, "NVDA")
        assert ack.get("type") == "subscribed", f"after an error the socket must keep working, got {ack}"
        ack = subscribe(ws, "NVDA", action="unsubscribe")
        assert ack == {"type": "unsubscribed", "symbols": ["AAPL"]}, (
            f"an error changes no subscription: AAPL is kept and nothing of the bad frame (MSFT) was added; got {ack}"
        )


# --- fan-out -----------------------------------------------------------------------------------------------------

@rule("only-subscribed")
def test_only_subscribed_symbols_arrive(client):
    with client.websocket_connect(URL) as ws:
        subscribe(ws, "AAPL")
        assert tick(client, "MSFT") == 0, "nobody subscribed to MSFT: delivered must be 0"
        assert tick(client, "AAPL") == 1, "one AAPL subscriber: delivered must be 1"
        assert symbols_of(frames_before_pong(ws)) == ["AAPL"], "exactly the AAPL tick must arrive, not the MSFT one"


@rule("only-subscribed", "per-connection-subscriptions")
def test_two_clients_with_different_symbols_get_only_their_own(client):
    with client.websocket_connect(URL) as a, client.websocket_connect(URL) as b:
        subscribe(a, "AAPL")
        subscribe(b, "MSFT")
        assert tick(client, "AAPL") == 1 and tick(client, "MSFT", price="410.5") == 1, "each tick has one subscriber"
        got_a, got_b = frames_before_pong(a), frames_before_pong(b)
        assert symbols_of(got_a) == ["AAPL"], f"client A subscribed to AAPL only, got {got_a}"
        assert symbols_of(got_b) == ["MSFT"], f"client B subscribed to MSFT only, got {got_b}"


@rule("fan-out-all-subscribers")
def test_every_subscriber_gets_every_tick_in_order(client):
    with client.websocket_connect(URL) as a, client.websocket_connect(URL) as b:
        subscribe(a, "AAPL", "MSFT")
        subscribe(b, "MSFT", "AAPL")
        assert tick(client, "AAPL", price="187.10") == 2, "two sockets subscribed to AAPL: delivered must be 2"
        assert tick(client, "MSFT", price="410.50") == 2, "two sockets subscribed to MSFT: delivered must be 2"
        assert tick(client, "AAPL", price="187.20") == 2, "the second AAPL tick also reaches both subscribers"
        want = [("AAPL", "187.10"), ("MSFT", "410.50"), ("AAPL", "187.20")]
        for name, ws in (("A", a), ("B", b)):
            got = [(f.get("symbol"), f.get("price")) for f in frames_before_pong(ws)]
            assert got == want, f"{name} must get all three ticks, in the order they were posted; got {got}"


@rule("tick-frame")
@pytest.mark.parametrize("price,ts,want_ts", [
    ("187.10", "2024-03-01T14:30:01Z", "2024-03-01T14:30:01Z"),
    ("187.25", "2024-03-01T14:30:01+00:00", "2024-03-01T14:30:01Z"),
    ("0.0001", "2024-03-01T16:30:01+02:00", "2024-03-01T14:30:01Z"),
    ("410.50", "2024-03-01T09:30:01-05:00", "2024-03-01T14:30:01Z"),
], ids=["Z", "+00:00", "+02:00", "-05:00"])
def test_tick_frame_is_exact_with_utc_time(client, price, ts, want_ts):
    with client.websocket_connect(URL) as ws:
        subscribe(ws, "AAPL")
        assert tick(client, "AAPL", price=price, size=250, ts=ts) == 1, "one AAPL subscriber"
        frames = frames_before_pong(ws)
        assert frames == [{"type": "tick", "symbol": "AAPL", "price": price, "size": 250, "ts": want_ts}], (
            f"the tick frame must be exact: price the exact string {price!r}, size 250, ts {ts} in UTC as {want_ts};"
            f" got {frames}"
        )
        size = frames[0]["size"]
        assert type(size) is int, f"size must be a JSON integer (250, not 250.0); got {size!r}"



@rule("tick-frame")
def test_tick_time_is_utc_whatever_the_server_zone(client):
    with client.websocket_connect(URL) as ws:
        subscribe(ws, "AAPL")
        with local_time_zone("EST+05"):
            assert tick(client, "AAPL", ts="2024-03-01T16:30:01+02:00") == 1, "one AAPL subscriber"
        frames = frames_before_pong(ws)
        assert [f.get("ts") for f in frames] == ["2024-03-01T14:30:01Z"], (
            "on a server whose local time zone is UTC-5, 16:30:01+02:00 must still go out as 2024-03-01T14:30:01Z:"
            f" convert with astimezone(timezone.utc), never astimezone() (the server's local zone); got {frames}"
        )


@rule("tick-frame")
def test_tick_without_an_offset_is_422_and_reaches_nobody(client):
    with client.websocket_connect(URL) as ws:
        subscribe(ws, "AAPL")
        assert tick(client, "AAPL", ts="2024-03-01T14:30:01Z") == 1, "a tick with an offset reaches the subscriber"
        resp = client.post("/internal/ticks", json={"symbol": "AAPL", "price": "187.25", "size": 100,
                                                    "ts": "2024-03-01T14:30:02"})
        assert resp.status_code == 422, (
            f"a ts without an offset is ambiguous: expected 422, got {resp.status_code}: {resp.text[:200]}"
        )
        frames = frames_before_pong(ws)
        assert [f.get("ts") for f in frames] == ["2024-03-01T14:30:01Z"], (
            f"only the tick with an offset may arrive; the refused one must reach nobody, got {frames}"
        )


@rule("tick-symbol-case")
def test_tick_symbol_is_upper_cased(client):
    with client.websocket_connect(URL) as ws:
        subscribe(ws, "aapl")
        assert tick(client, "aapl") == 1, "a tick posted for 'aapl' must reach the AAPL subscriber"
        assert tick(client, "Aapl") == 1, "a tick posted for 'Aapl' must reach the AAPL subscriber"
        assert symbols_of(frames_before_pong(ws)) == ["AAPL", "AAPL"], "the tick frames must say symbol 'AAPL'"


@rule("per-connection-subscriptions", "only-subscribed")
def test_two_sockets_with_one_token_are_independent(client):
    with client.websocket_connect(URL) as a, client.websocket_connect(URL) as b:
        assert subscribe(a, "AAPL") == {"type": "subscribed", "symbols": ["AAPL"]}, "A subscribes to AAPL"
        ack = subscribe(b, "MSFT")
        assert ack == {"type": "subscribed", "symbols": ["MSFT"]}, (
            f"B (same token, another socket) has its own subscription: expected ['MSFT'], got {ack}"
        )
        assert tick(client, "AAPL") == 1, "only A subscribed to AAPL"
        assert symbols_of(frames_before_pong(a)) == ["AAPL"] and frames_before_pong(b) == [], "only A gets AAPL"


@rule("per-connection-subscriptions", "only-subscribed")
def test_a_reconnect_starts_without_subscriptions(client):
    with client.websocket_connect(URL) as first:
        subscribe(first, "AAPL", "MSFT")
        assert tick(client, "AAPL") == 1, "the first connection is subscribed to AAPL"
        assert symbols_of(frames_before_pong(first)) == ["AAPL"], "the first connection gets its AAPL tick"
    with client.websocket_connect(URL) as again:
        tick(client, "AAPL")
        assert frames_before_pong(again) == [], (
            "a new connection starts with no subscriptions, even with the same token: nothing may arrive before it"
            " subscribes"
        )
        ack = subscribe(again, "AAPL")
        assert ack == {"type": "subscribed", "symbols": ["AAPL"]}, (
            f"resubscribing after a reconnect starts from nothing (MSFT was the old connection's), got {ack}"
        )
        tick(client, "AAPL")
        assert symbols_of(frames_before_pong(again)) == ["AAPL"], "the resubscribed socket gets the next AAPL tick"


@rule("state-per-app")
def test_two_apps_share_nothing():
    with TestClient(create_app(tokens=[TOKEN])) as one, TestClient(create_app(tokens=[TOKEN])) as two:
        with one.websocket_connect(URL) as ws:
            subscribe(ws, "AAPL")
            assert stats(one) == {"clients": 1}, "the first app has one client"
            assert stats(two) == {"clients": 0}, "a second app from create_app() must not see the first app's client"
            assert tick(two, "AAPL") == 0, "a tick posted to the second app must not reach the first app's socket"
            assert frames_before_pong(ws) == [], "nothing may arrive from another app"


@rule("disconnect-cleanup")
def test_disconnect_leaves_zero_clients(client):
    with client.websocket_connect(URL) as a:
        subscribe(a, "AAPL")
        with client.websocket_connect(URL) as b:
            subscribe(b, "AAPL")
            assert stats(client) == {"clients": 2}, "two open sockets are two clients"
        assert stats(client) == {"clients": 1}, "a closed socket must be removed at once"
        assert tick(client, "AAPL") == 1, "only the open socket can still get AAPL"
    assert stats(client) == {"clients": 0}, "after every socket closed the hub must be empty"
    assert tick(client, "AAPL") == 0, "publishing after everyone left delivers to nobody"


# --- a failing send, driven over raw ASGI ------------------------------------------------------------------------

class AsgiSocket:
    """A WebSocket peer at the ASGI level: frames in through a queue, frames out recorded; optionally every tick
    sent to it fails, as it would for a peer whose connection was reset."""

    def __init__(self, app, fail_ticks=False, error=ConnectionResetError):
        self.app, self.fail_ticks, self.error = app, fail_ticks, error
        self.inbox, self.frames, self.events = asyncio.Queue(), [], asyncio.Queue()
        self.task = None

    async def receive(self):
        return await self.inbox.get()

    async def send(self, message):
        if message["type"] == "websocket.send":
            frame = json.loads(message.get("text") or message.get("bytes"))
            if self.fail_ticks and frame.get("type") == "tick":
                raise self.error("the peer reset the connection")
            self.frames.append(frame)
        await self.events.put(message)

    async def next_event(self, what):
        try:
            return await asyncio.wait_for(self.events.get(), 5)
        except asyncio.TimeoutError:
            raise AssertionError(f"the server sent nothing while waiting for {what}") from None

    async def connect(self):
        scope = {"type": "websocket", "asgi": {"version": "3.0"}, "scheme": "ws", "http_version": "1.1",
                 "path": "/v1/stream", "raw_path": b"/v1/stream", "root_path": "",
                 "query_string": f"token={TOKEN}".encode(), "headers": [(b"host", b"testserver")],
                 "client": ("127.0.0.1", 50000), "server": ("testserver", 80), "subprotocols": []}
        self.task = asyncio.ensure_future(self.app(scope, self.receive, self.send))
        await self.inbox.put({"type": "websocket.connect"})
        event = await self.next_event("the accept")
        assert event["type"] == "websocket.accept", f"a valid token must be accepted, got {event}"

    async def subscribe(self, symbol):
        await self.inbox.put({"type": "websocket.receive", "text": json.dumps({"action": "subscribe",
                                                                                "symbols": [symbol]})})
        event = await self.next_event("the subscribe ack")
        assert event["type"] == "websocket.send", f"expected the subscribe ack, got {event}"

    async def close(self):
        if self.task is None:
            return
        await self.inbox.put({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait([self.task], timeout=5)
        if not self.task.done():
            self.task.cancel()
            await asyncio.wait([self.task])
        if not self.task.cancelled():
            self.task.exception()  # retrieved: whatever went wrong was already reported by an assertion


class PeerGone(Exception):
    """Not an OSError: newer Starlette turns an OSError from a send into WebSocketDisconnect, this it passes on."""


def failed_send_scenario(error):
    async def scenario():
        app = create_app(tokens=[TOKEN])
        broken, healthy = AsgiSocket(app, fail_ticks=True, error=error), AsgiSocket(app)
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        try:
            for peer in (broken, healthy):
                await peer.connect()
                await peer.subscribe("AAPL")
            before = (await http.get("/internal/stats")).json()
            assert before == {"clients": 2}, f"two accepted sockets are two clients, got {before}"
            resp = await http.post("/internal/ticks", json={"symbol": "AAPL", "price": "187.25", "size": 100,
                                                            "ts": "2024-03-01T14:30:00Z"})
            assert resp.status_code == 202, (
                f"a send that raises ({error.__name__}: catch any exception) must not fail the POST: expected 202,"
                f" got {resp.status_code}: {resp.text[:200]}"
            )
            assert resp.json() == {"delivered": 1}, (
                f"delivered counts only the sockets that got the tick (1 of 2), got {resp.json()}"
            )
            assert symbols_of(healthy.frames[1:]) == ["AAPL"], "the healthy subscriber must still get the tick"
            after = (await http.get("/internal/stats")).json()
            assert after == {"clients": 1}, f"the socket whose send failed must be removed at once, got {after}"
        finally:
            await http.aclose()
            for peer in (broken, healthy):
                await peer.close()

    asyncio.run(scenario())


@rule("failed-send-removed")
def test_a_failed_send_removes_that_socket_and_spares_the_others():
    failed_send_scenario(ConnectionResetError)


@rule("failed-send-removed")
def test_any_exception_from_a_send_removes_that_socket():
    failed_send_scenario(PeerGone)
