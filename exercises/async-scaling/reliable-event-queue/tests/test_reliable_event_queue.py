"""Verifier for reliable-event-queue: at-least-once delivery on Redis lists, idempotent consumers, partitions."""
import os
import pathlib
import subprocess
import sys

import pytest
import redis

import trade_events

HERE = pathlib.Path(__file__).resolve().parent


def event(n, symbol="AAPL"):
    return {"event_id": f"e{n}", "symbol": symbol, "qty": n, "price": "189.10"}


def drain(consumer, limit=20):
    for _ in range(limit):
        if not consumer.process_one():
            return
    pytest.fail("process_one() never returned False on an empty queue")


def test_messages_are_delivered_fifo(redis_conn):
    q = trade_events.EventQueue(redis_conn)
    for n in (1, 2, 3):
        q.publish(event(n))
    got = [q.reserve().event["event_id"] for _ in range(3)]
    assert got == ["e1", "e2", "e3"], f"reserve() must hand out events in publish order; got {got}"
    assert q.reserve() is None, "reserve() on an empty queue must return None"


def test_unacked_messages_are_redelivered_in_order_after_a_crash(redis_conn, redis_url):
    q = trade_events.EventQueue(redis_conn)
    for n in (1, 2, 3, 4):
        q.publish(event(n))
    first, second = q.reserve(), q.reserve()
    assert first is not None and second is not None
    assert q.processing_count() == 2 and q.ready_count() == 2, (
        "a reserved message must sit in the processing list (LMOVE ready -> processing), not vanish; "
        f"ready={q.ready_count()} processing={q.processing_count()}"
    )
    # The consumer "crashes": it never acks. A new process with a new connection starts up and recovers.
    fresh = redis.Redis.from_url(redis_url)
    try:
        restarted = trade_events.EventQueue(fresh)
        moved = restarted.recover()
        assert moved == 2, f"recover() must return how many messages it moved back (2); got {moved}"
        order = [restarted.reserve().event["event_id"] for _ in range(4)]
    finally:
        fresh.close()
    assert order == ["e1", "e2", "e3", "e4"], (
        f"the unacked e1, e2 must be redelivered first and in their original order; got {order}"
    )


def test_ack_clears_processing(redis_conn):
    q = trade_events.EventQueue(redis_conn)
    q.publish(event(1))
    q.publish(event(2))
    msg = q.reserve()
    assert q.processing_count() == 1, "after reserve() the message is in the processing list"
    q.ack(msg)
    assert q.processing_count() == 0, "ack() must remove the message from the processing list"
    assert q.recover() == 0, "an acked message must never be redelivered"
    assert q.reserve().event["event_id"] == "e2", "ack() must not touch the messages still waiting"


def test_duplicate_event_id_is_handled_once(redis_conn):
    q = trade_events.EventQueue(redis_conn)
    handled = []
    consumer = trade_events.Consumer(q, handled.append)
    for e in (event(1), event(2), event(1)):  # e1 published twice (a producer retry)
        q.publish(e)
    drain(consumer)
    assert [e["event_id"] for e in handled] == ["e1", "e2"], (
        f"a duplicate event_id must be skipped by an idempotent consumer; handled {[e['event_id'] for e in handled]}"
    )
    assert q.processing_count() == 0 and q.ready_count() == 0, "the duplicate must still be acked, not left behind"


def test_handler_error_leaves_message_unacked_then_it_is_redelivered(redis_conn):
    q = trade_events.EventQueue(redis_conn)
    q.publish(event(1))
    calls = []

    def flaky(e):
        calls.append(e["event_id"])
        if len(calls) == 1:
            raise ConnectionError("ledger database unavailable")

    consumer = trade_events.Consumer(q, flaky)
    with pytest.raises(ConnectionError):
        consumer.process_one()
    assert q.processing_count() == 1, (
        "when the handler raises, the message must stay unacked in processing (ack only after success)"
    )
    assert q.recover() == 1, "recover() must move the failed message back to ready"
    drain(consumer)
    assert calls == ["e1", "e1"], (
        f"after recovery the message must be handled again (and succeed); handler calls: {calls}. "
        "Mark an event_id as done only after the handler succeeded"
    )
    assert q.processing_count() == 0 and q.ready_count() == 0, "after the successful retry nothing is pending"


def test_publish_needs_an_event_id(redis_conn):
    q = trade_events.EventQueue(redis_conn)
    with pytest.raises(ValueError):
        q.publish({"symbol": "AAPL"})
    assert q.ready_count() == 0, "an invalid event must not be queued"


def test_partition_is_stable_across_processes():
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


@pytest.mark.parametrize("partitions", [0, -1])
def test_partition_count_must_be_positive(partitions):
    with pytest.raises(ValueError):
        trade_events.partition_for("AAPL", partitions)
