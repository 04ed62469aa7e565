"""Trade events with at-least-once delivery on Redis lists. Read README.md for the interface."""
import json
import zlib  # noqa: F401  (you will want zlib.crc32)
from dataclasses import dataclass
from typing import Callable, Optional


def partition_for(key: str, partitions: int) -> int:
    # TODO: stable across processes; reject partitions < 1
    return hash(key) % partitions


@dataclass(frozen=True)
class Message:
    raw: bytes  # the exact bytes stored in Redis
    event: dict


class EventQueue:
    def __init__(self, conn, name: str = "trades"):
        self.conn = conn
        self.ready_key = f"events:{name}:ready"
        self.processing_key = f"events:{name}:processing"
        self.done_key = f"events:{name}:done"

    def publish(self, event: dict) -> None:
        self.conn.rpush(self.ready_key, json.dumps(event, sort_keys=True))

    def reserve(self) -> Optional[Message]:
        # TODO: a popped message is lost if this process dies before handling it
        raw = self.conn.lpop(self.ready_key)
        return None if raw is None else Message(raw=raw, event=json.loads(raw))

    def ack(self, message: Message) -> None:
        pass  # TODO

    def recover(self) -> int:
        return 0  # TODO

    def ready_count(self) -> int:
        return self.conn.llen(self.ready_key)

    def processing_count(self) -> int:
        return self.conn.llen(self.processing_key)


class Consumer:
    def __init__(self, queue: EventQueue, handler: Callable[[dict], None]):
        self.queue = queue
        self.handler = handler

    def process_one(self) -> bool:
        message = self.queue.reserve()
        if message is None:
            return False
        self.handler(message.event)  # TODO: duplicates, and ack only after success
        return True
