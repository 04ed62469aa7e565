"""Verifier for reliable-event-queue: at-least-once delivery on Redis lists, idempotent consumers, partitions."""
import json
import os
import pathlib
import subprocess
import sys

import pytest
import redis
from roadmap_pytest import raises

import trade_events

HERE = pathlib.Path(__file__).resolve().parent


def event(n, symbol="AAPL"):
    return {"event_id": f"e{n}", "symbol": symbol, "qty": n, "price": "189.10"}


def drain(consumer, limit=20):
    for _ in range(limit):
        if not consumer.process_one():
            return
    pytest.fail("process_one() never returned False on an empty queue")


def held_ids(conn, queue):
    """Event ids in ready + processing, read straight from Redis."""
    raw = conn.lrange(queue.ready_key, 0, -1) + conn.lrange(queue.processing_key, 0, -1)
    return sorted(json.loads(r)["event_id"] for r in raw)


class ProcessCrashed(BaseException):
    """The consumer process dies here (kill -9): nothing after this point runs, no `except Exception` sees it."""


class CrashingPipeline:
    """A pipeline sends its commands in one round trip: only execute() counts as a call that can be cut."""

    def __init__(self, pipe, owner):
        self._pipe, self._owner = pipe, owner

    def execute(self, *args, **kwargs):
        self._owner.tick()
        return self._pipe.execute(*args, **kwargs)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._pipe.__exit__(*exc)

    def __getattr__(self, name):
        return getattr(self._pipe, name)


class CrashAfter:
    """A Redis connection that lets `calls` commands through and then kills the program on the next one."""

    def __init__(self, conn, calls):
        self._conn, self._left = conn, calls

    def tick(self):
        if self._left == 0:
            raise ProcessCrashed()
        self._left -= 1

    def __getattr__(self, name):
        attr = getattr(self._conn, name)
        if name == "pipeline":
            return lambda *args, **kwargs: CrashingPipeline(attr(*args, **kwargs), self)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            self.tick()
            return attr(*args, **kwargs)

        return call


# --- partitions -----------------------------------------------------------------------------------------------

@pytest.mark.rule("partition-stable")
def test_partition_is_stable_across_processes():
    assert trade_events.partition_for("AAPL", 8) == 4 and trade_events.partition_for("MSFT", 3) == 1, (
        "partition_for('AAPL', 8) must be 4 and ('MSFT', 3) must be 1: zlib.crc32(key.encode()) % partitions"
    )
    for key in ("AAPL", "MSFT", "BRK.B", "7203.T"):
        for n in (1, 2, 5, 16):
            got = trade_events.partition_for(key, n)
            assert isinstance(got, int) and 0 <= got < n, f"partition_for({key!r}, {n}) must be in range({n}), got {got!r}"
    code = "import trade_events; print(trade_events.partition_for('AAPL', 8), trade_events.partition_for('MSFT', 3))"
    results = []
    for seed in ("1", "3"):
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(HERE))
        out = subprocess.run([sys.executable, "-c", code], cwd=HERE, env=env, capture_output=True, text=True, timeout=10)
        assert out.returncode == 0, f"partition_for failed in a subprocess: {out.stderr[-500:]}"
        results.append(out.stdout.split())
    assert results == [["4", "1"], ["4", "1"]], (
        "partition_for('AAPL', 8) must be 4 and ('MSFT', 3) must be 1 in every process, whatever PYTHONHASHSEED is: "
        f"use zlib.crc32(key.encode()) % partitions, not hash(); got {results}"
    )


@pytest.mark.rule("partition-count-positive")
def test_partition_count_must_be_positive():
    for partitions in (0, -1):
        with raises(ValueError, f"partition_for('AAPL', {partitions}) must raise ValueError (partitions < 1)"):
            trade_events.partition_for("AAPL", partitions)
    assert trade_events.partition_for("AAPL", 1) == 0, "one partition is valid: every key goes to partition 0"


# --- EventQueue -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [{"symbol": "AAPL"}, {"event_id": "", "symbol": "AAPL"}, {"event_id": None}],
                         ids=["missing", "empty", "none"])
@pytest.mark.rule("publish-needs-event-id")
def test_publish_needs_a_non_empty_event_id(redis_conn, bad):
    q = trade_events.EventQueue(redis_conn)
    with raises(ValueError, f"publish({bad}) must raise ValueError: an event needs a non-empty event_id"):
        q.publish(bad)
    assert q.ready_count() == 0 and redis_conn.dbsize() == 0, f"an invalid event must not be queued; found {redis_conn.keys()}"
    q.publish(event(1))
    assert q.ready_count() == 1, "a valid event is queued"


@pytest.mark.rule("reserve-fifo")
def test_reserve_hands_out_the_oldest_and_moves_it_to_processing(redis_conn):
    q = trade_events.EventQueue(redis_conn)
    for n in (1, 2, 3):
        q.publish(event(n))
    for n in (1, 2, 3):
        msg = q.reserve()
        assert msg is not None and msg.event == event(n), (
            f"reserve() must hand out events in publish order, decoded to the published dict; expected {event(n)}, "
            f"got {msg and msg.event}"
        )
        assert q.processing_count() == n and q.ready_count() == 3 - n, (
            "a reserved message moves into the processing list (it must not vanish until acked); "
            f"ready={q.ready_count()} processing={q.processing_count()}"
        )
        assert isinstance(msg.raw, bytes) and msg.raw in redis_conn.lrange(q.processing_key, 0, -1), (
            f"Message.raw must be the exact bytes stored in the processing list; got {msg.raw!r}"
        )
    assert q.reserve() is None, "reserve() on an empty ready list must return None"


@pytest.mark.rule("reserve-fifo")
def test_reserve_keeps_the_bytes_another_publisher_wrote(redis_conn):
    q = trade_events.EventQueue(redis_conn)
    compact = b'{"event_id":"e9","symbol":"MSFT","qty":5}'  # another service's JSON: no spaces, its own key order
    redis_conn.rpush(q.ready_key, compact)
    msg = q.reserve()
    assert msg is not None and msg.event == {"event_id": "e9", "symbol": "MSFT", "qty": 5}, (
        f"reserve() must decode the JSON it took from the ready list; got {msg and msg.event}"
    )
    assert redis_conn.lrange(q.processing_key, 0, -1) == [compact], (
        "reserve() must move the message, unchanged, into the processing list; processing holds "
        f"{redis_conn.lrange(q.processing_key, 0, -1)}"
    )
    assert msg.raw == compact, (
        f"Message.raw must be the exact bytes from Redis ({compact!r}), not the event encoded again ({msg.raw!r}): "
        "ack() removes the message by those bytes"
    )


@pytest.mark.rule("reserve-never-loses")
def test_a_crash_inside_reserve_never_loses_a_message(redis_conn):
    for calls in range(10):
        redis_conn.flushall()
        q = trade_events.EventQueue(redis_conn)
        q.publish(event(1))
        q.publish(event(2))
        try:
            msg = trade_events.EventQueue(CrashAfter(redis_conn, calls)).reserve()
        except ProcessCrashed:
            msg = None
            finished = False
        else:
            finished = True
        assert held_ids(redis_conn, q) == ["e1", "e2"], (
            f"the process died after {calls} Redis call(s) inside reserve(), and ready + processing now hold "
            f"{held_ids(redis_conn, q)} instead of e1 and e2. Move the message in ONE atomic step (LMOVE), never "
            "pop it and push it in two"
        )
        if finished:
            assert msg is not None and q.processing_count() == 1 and q.ready_count() == 1, (
                "reserve() must move one message into processing"
            )
            return
    pytest.fail("reserve() made more than 10 Redis calls")


@pytest.mark.rule("reserve-never-loses")
def test_a_crash_inside_recover_never_loses_a_message(redis_conn):
    for calls in range(20):
        redis_conn.flushall()
        q = trade_events.EventQueue(redis_conn)
        for n in (1, 2, 3, 4):
            q.publish(event(n))
        for _ in range(3):
            q.reserve()
        try:
            trade_events.EventQueue(CrashAfter(redis_conn, calls)).recover()
        except ProcessCrashed:
            finished = False
        else:
            finished = True
        assert held_ids(redis_conn, q) == ["e1", "e2", "e3", "e4"], (
            f"the process died after {calls} Redis call(s) inside recover(), and ready + processing now hold "
            f"{held_ids(redis_conn, q)}. Each message must always be in one list or the other: move them one "
            "by one with LMOVE, never delete the processing list before pushing its messages back"
        )
        if finished:
            return
    pytest.fail("recover() of 3 messages made more than 20 Redis calls")


@pytest.mark.rule("ack-removes-that-message")
def test_ack_removes_exactly_that_message(redis_conn):
    q = trade_events.EventQueue(redis_conn)
    for n in (1, 2, 3):
        q.publish(event(n))
    first, second = q.reserve(), q.reserve()
    q.ack(second)
    assert q.processing_count() == 1, f"ack() removes the acked message from processing; {q.processing_count()} left"
    assert q.recover() == 1, "only the un-acked message may come back"
    left = sorted(q.reserve().event["event_id"] for _ in range(2))
    acked = second.event["event_id"]
    assert left == sorted({"e1", "e2", "e3"} - {acked}), (
        f"acking {acked} must leave {first.event['event_id']} (reserved, not acked) to come back after recover(), "
        f"next to the unreserved one; got {left}: remove exactly message.raw (LREM), not whatever is at the head"
    )
    redis_conn.flushall()
    q.publish(event(7))
    q.publish(event(7))  # a producer retry: the same bytes twice
    copy_one, copy_two = q.reserve(), q.reserve()
    q.ack(copy_one)
    assert q.processing_count() == 1, (
        "two identical messages were reserved and one was acked: the other must stay in processing "
        "(LREM with count 1 removes one copy, not every equal one)"
    )


@pytest.mark.rule("recover-front-in-order")
def test_unacked_messages_are_redelivered_first_in_order_after_a_crash(redis_conn, redis_url):
    q = trade_events.EventQueue(redis_conn)
    assert q.recover() == 0, "recover() with nothing in processing moves nothing and returns 0"
    for n in (1, 2, 3, 4, 5):
        q.publish(event(n))
    reserved = []
    for _ in range(3):
        msg = q.reserve()
        assert msg is not None, "reserve() must hand out the published events"
        reserved.append(msg.event["event_id"])
    # The consumer "crashes": it never acks. A new process with a new connection starts up and recovers.
    fresh = redis.Redis.from_url(redis_url)
    try:
        restarted = trade_events.EventQueue(fresh)
        moved = restarted.recover()
        assert moved == 3, f"recover() must return how many messages it moved back (3); got {moved}"
        assert restarted.processing_count() == 0, "after recover() nothing is left in processing"
        order = [restarted.reserve().event["event_id"] for _ in range(5)]
    finally:
        fresh.close()
    assert order[:3] == reserved and sorted(order) == ["e1", "e2", "e3", "e4", "e5"], (
        f"the unacked {reserved} must be redelivered first, in the order they were reserved; got {order}"
    )


@pytest.mark.rule("queue-name-keys")
def test_queue_names_keep_messages_and_done_marks_apart(redis_conn):
    trades = trade_events.EventQueue(redis_conn)
    fills = trade_events.EventQueue(redis_conn, name="fills")
    handled = {"trades": [], "fills": []}
    trades.publish(event(1))
    for e in (event(1), event(2), event(1)):
        fills.publish(e)
    drain(trade_events.Consumer(trades, lambda e: handled["trades"].append(e["event_id"])))
    drain(trade_events.Consumer(fills, lambda e: handled["fills"].append(e["event_id"])))
    assert handled == {"trades": ["e1"], "fills": ["e1", "e2"]}, (
        "each queue name has its own lists and its own done set (events:<name>:done): e1 handled on 'trades' "
        f"must still be handled once on 'fills', and its duplicate there skipped; handled {handled}"
    )


# --- Consumer -------------------------------------------------------------------------------------------------

@pytest.mark.rule("consumer-handles-then-acks")
def test_process_one_handles_marks_done_and_acks(redis_conn):
    q = trade_events.EventQueue(redis_conn)
    handled = []
    consumer = trade_events.Consumer(q, handled.append)
    for n in (1, 2):
        q.publish(event(n))
        assert consumer.process_one() is True, "process_one() returns True when it processed a message"
        assert handled[-1] == event(n), f"the handler gets the published event {event(n)}; got {handled[-1]}"
        assert q.processing_count() == 0, "after the handler returned, the message must be acked (not in processing)"
        assert redis_conn.sismember(q.done_key, f"e{n}"), f"after success e{n} must be in the done set {q.done_key}"
    assert consumer.process_one() is False, "process_one() returns False when nothing is ready"
    assert len(handled) == 2, f"the handler runs once per event; it ran {len(handled)} times"


@pytest.mark.rule("consumer-handles-then-acks", "ack-after-handler")
def test_a_crash_in_process_one_never_drops_an_event_that_is_not_done(redis_conn):
    for calls in range(20):
        redis_conn.flushall()
        q = trade_events.EventQueue(redis_conn)
        q.publish(event(1))
        handled = []
        try:
            trade_events.Consumer(trade_events.EventQueue(CrashAfter(redis_conn, calls)), handled.append).process_one()
        except ProcessCrashed:
            finished = False
        else:
            finished = True
        held = held_ids(redis_conn, q)
        done = bool(redis_conn.sismember(q.done_key, "e1"))
        assert held == ["e1"] or done, (
            f"the process died after {calls} Redis call(s) inside process_one() (handler ran: {bool(handled)}), and "
            "e1 is now neither in ready/processing nor in the done set: add the event_id to the done set first, "
            "then ack, so a crash between the two leaves a done event that is still held"
        )
        if finished:
            assert handled == [event(1)] and held == [] and done, (
                f"process_one() must handle e1, mark it done and ack it; handled {handled}, held {held}, done {done}"
            )
            return
    pytest.fail("process_one() made more than 20 Redis calls")


@pytest.mark.rule("consumer-skips-done")
def test_duplicate_event_id_is_handled_once_even_by_a_new_consumer(redis_conn, redis_url):
    q = trade_events.EventQueue(redis_conn)
    handled = []
    consumer = trade_events.Consumer(q, lambda e: handled.append(e["event_id"]))
    for e in (event(1), event(2), event(1)):  # e1 published twice (a producer retry)
        q.publish(e)
    consumer.process_one()
    consumer.process_one()
    pending = q.processing_count()
    assert consumer.process_one() is True, "a skipped duplicate still counts as processed: process_one() returns True"
    assert handled == ["e1", "e2"], f"a duplicate event_id must be skipped by an idempotent consumer; handled {handled}"
    assert q.ready_count() == 0 and q.processing_count() <= pending, "the duplicate must be acked, not left in processing"
    # A new consumer process: new connection, new queue and consumer objects. The done set lives in Redis.
    fresh = redis.Redis.from_url(redis_url)
    try:
        restarted_queue = trade_events.EventQueue(fresh)
        restarted = trade_events.Consumer(restarted_queue, lambda e: handled.append(e["event_id"]))
        restarted_queue.publish(event(2))
        fresh.sadd(restarted_queue.done_key, "e7")  # e7 was handled by a process that no longer exists
        restarted_queue.publish(event(7))
        restarted.process_one()
        restarted.process_one()
    finally:
        fresh.close()
    assert handled == ["e1", "e2"], (
        f"events already in the done set (e2 handled before the restart, e7 marked done by another process) must "
        f"be skipped by a new consumer too: keep the done set in Redis, not in the object; handled {handled}"
    )


@pytest.mark.rule("ack-after-handler")
def test_handler_error_leaves_the_message_unacked(redis_conn):
    q = trade_events.EventQueue(redis_conn)
    q.publish(event(1))

    def failing(e):
        raise ConnectionError("ledger database unavailable")

    try:
        trade_events.Consumer(q, failing).process_one()
    except ConnectionError:
        pass
    assert q.processing_count() == 1 and q.ready_count() == 0, (
        "when the handler raises, the message must stay unacked in processing (ack only after success); "
        f"ready={q.ready_count()} processing={q.processing_count()}"
    )
    assert q.recover() == 1, "recover() must move the failed message back to ready"


@pytest.mark.rule("done-after-handler", "ack-after-handler")
def test_a_failed_event_is_handled_again_after_recovery(redis_conn):
    q = trade_events.EventQueue(redis_conn)
    q.publish(event(1))
    calls = []

    def flaky(e):
        calls.append(e["event_id"])
        if len(calls) == 1:
            raise ConnectionError("ledger database unavailable")

    consumer = trade_events.Consumer(q, flaky)
    try:
        consumer.process_one()
    except ConnectionError:
        pass
    q.recover()
    drain(consumer)
    assert calls == ["e1", "e1"], (
        f"after recovery the message must be handled again (and succeed); handler calls: {calls}. "
        "Mark an event_id as done only after the handler succeeded"
    )


@pytest.mark.rule("ack-after-handler", "done-after-handler")
def test_a_new_consumer_gets_the_message_back_after_the_process_died_in_the_handler(redis_conn, redis_url):
    q = trade_events.EventQueue(redis_conn)
    q.publish(event(1))

    def dies(e):
        raise ProcessCrashed()

    try:
        trade_events.Consumer(q, dies).process_one()
    except ProcessCrashed:
        pass  # the process is gone; what counts is what it left in Redis
    handled = []
    fresh = redis.Redis.from_url(redis_url)
    try:
        restarted_queue = trade_events.EventQueue(fresh)  # the restarted process: nothing shared with the dead one
        restarted = trade_events.Consumer(restarted_queue, lambda e: handled.append(e["event_id"]))
        restarted_queue.publish(event(2))
        moved = restarted_queue.recover()
        drain(restarted)
    finally:
        fresh.close()
    assert moved == 1 and sorted(handled) == ["e1", "e2"], (
        "the process died while handling e1, before the ack: a new consumer on a new connection must get e1 back "
        f"from recover() and handle it, then e2; recover() moved {moved}, handled {handled}"
    )


@pytest.mark.rule("handler-error-propagates")
def test_handler_exception_propagates(redis_conn):
    q = trade_events.EventQueue(redis_conn)

    def handler(e):
        if e["event_id"] == "e2":
            raise ConnectionError("ledger database unavailable")

    consumer = trade_events.Consumer(q, handler)
    q.publish(event(1))
    assert consumer.process_one() is True and redis_conn.sismember(q.done_key, "e1"), (
        "a successful event returns True and is marked done"
    )
    q.publish(event(2))
    with raises(ConnectionError, "the handler's exception must propagate out of process_one()"):
        consumer.process_one()
