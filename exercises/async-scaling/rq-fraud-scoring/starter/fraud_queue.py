"""A small durable job queue on Redis, shaped like RQ (Queue, Job, SimpleWorker, FailedJobRegistry).

Storage layout (already used by Job below):
- a job is a Redis hash `fraudq:job:<id>` with fields func_name, args (JSON list), kwargs (JSON object),
  status, result (JSON) and exc_info (traceback text);
- a queue is a Redis list `fraudq:queue:<name>` of job ids: RPUSH to enqueue, LPOP to take (FIFO);
- failed job ids go into the Redis set `fraudq:failed:<name>`.
"""
import importlib
import json
import traceback  # noqa: F401  (you will want traceback.format_exc())
from typing import Callable, List, Optional

QUEUED, STARTED, FINISHED, FAILED = "queued", "started", "finished", "failed"


def _job_key(job_id: str) -> str:
    return f"fraudq:job:{job_id}"


def _import(dotted: str) -> Callable:
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


class Job:
    def __init__(self, job_id: str, connection, created: bool = False):
        self.id = job_id
        self.connection = connection
        self.created = created  # True only for the enqueue() call that actually created the job

    def _field(self, name: str) -> Optional[str]:
        value = self.connection.hget(_job_key(self.id), name)
        return None if value is None else value.decode()

    @property
    def func_name(self) -> str:
        return self._field("func_name")

    def get_status(self) -> str:
        return self._field("status")

    @property
    def result(self):
        raw = self._field("result")
        return None if raw is None else json.loads(raw)

    @property
    def exc_info(self) -> Optional[str]:
        return self._field("exc_info")


class Queue:
    def __init__(self, name: str, connection, is_async: bool = True):
        self.name = name
        self.connection = connection
        self.is_async = is_async
        self.key = f"fraudq:queue:{name}"
        self.failed_key = f"fraudq:failed:{name}"

    def __len__(self) -> int:
        return self.connection.llen(self.key)

    @property
    def job_ids(self) -> List[str]:
        return [raw.decode() for raw in self.connection.lrange(self.key, 0, -1)]

    def fetch_job(self, job_id: str) -> Optional[Job]:
        return Job(job_id, self.connection) if self.connection.exists(_job_key(job_id)) else None

    def enqueue(self, func: Callable, *args, job_id: str, **kwargs) -> Job:
        # TODO: reject non-importable functions, store the dotted path, do not touch an existing job_id,
        # run at once when is_async is False.
        key = _job_key(job_id)
        self.connection.hset(key, mapping={
            "func_name": func.__name__,
            "args": json.dumps(list(args)),
            "kwargs": json.dumps(kwargs),
            "status": QUEUED,
        })
        self.connection.rpush(self.key, job_id)
        return Job(job_id, self.connection, created=True)


def perform(queue: Queue, job: Job) -> None:
    """Run one job and record the outcome (finished + result, or failed + exc_info + registry)."""
    raise NotImplementedError("perform")


class FailedJobRegistry:
    def __init__(self, queue: Queue):
        self.queue = queue

    def get_job_ids(self) -> List[str]:
        raise NotImplementedError("FailedJobRegistry.get_job_ids")

    def __contains__(self, job_id: str) -> bool:
        raise NotImplementedError("FailedJobRegistry.__contains__")


class SimpleWorker:
    def __init__(self, queues: List[Queue], connection):
        self.queues = queues
        self.connection = connection

    def work(self, burst: bool = True) -> bool:
        """Drain the queues, then return True if at least one job ran."""
        raise NotImplementedError("SimpleWorker.work")
