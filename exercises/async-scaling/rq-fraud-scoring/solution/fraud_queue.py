"""A small durable job queue on Redis, shaped like RQ (Queue, Job, SimpleWorker, FailedJobRegistry).

RQ is not installable on every stack this course supports, so you build the core of it with redis-py:
- a job is a Redis hash `fraudq:job:<id>` holding the dotted function path, JSON args, status and result;
- a queue is a Redis list `fraudq:queue:<name>` of job ids (RPUSH to enqueue, LPOP to take, so FIFO);
- failed job ids go into the set `fraudq:failed:<name>`.
Everything lives in Redis, so jobs survive a restart of the web process, unlike FastAPI BackgroundTasks.
"""
import importlib
import json
import traceback
from typing import Callable, List, Optional

QUEUED, STARTED, FINISHED, FAILED = "queued", "started", "finished", "failed"


def _job_key(job_id: str) -> str:
    return f"fraudq:job:{job_id}"


def _dotted_path(func: Callable) -> str:
    """Only module-level functions can be found again by a worker; reject lambdas, nested and __main__ functions."""
    module, qualname = getattr(func, "__module__", None), getattr(func, "__qualname__", "")
    if not module or module == "__main__" or "<" in qualname or "." in qualname:
        raise ValueError(f"{func!r} is not importable: enqueue a module-level function")
    return f"{module}.{qualname}"


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
        # Always read Redis: the worker that changes the status is usually another process.
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
        func_name = _dotted_path(func)
        key = _job_key(job_id)
        # HSETNX is the atomic claim: of two concurrent enqueues with the same id, exactly one gets 1.
        # (RQ 1.x does not do this: enqueueing an existing job_id overwrites the job and queues it again.)
        if not self.connection.hsetnx(key, "func_name", func_name):
            return Job(job_id, self.connection, created=False)
        pipe = self.connection.pipeline()  # MULTI/EXEC: the job data and its place in the queue appear together
        pipe.hset(key, mapping={
            "origin": self.name,
            "args": json.dumps(list(args)),
            "kwargs": json.dumps(kwargs),
            "status": QUEUED,
        })
        if self.is_async:
            pipe.rpush(self.key, job_id)
        pipe.execute()
        job = Job(job_id, self.connection, created=True)
        if not self.is_async:
            perform(self, job)  # like RQ's Queue(is_async=False): run now, in this process (tests, scripts)
        return job


def perform(queue: Queue, job: Job) -> None:
    """Run one job and record the outcome. A failing job is recorded, never allowed to crash the worker."""
    conn, key = queue.connection, _job_key(job.id)
    conn.hset(key, "status", STARTED)
    try:
        func = _import(job.func_name)
        args = json.loads(conn.hget(key, "args"))
        kwargs = json.loads(conn.hget(key, "kwargs"))
        result = func(*args, **kwargs)
    except Exception:
        pipe = conn.pipeline()
        pipe.hset(key, mapping={"status": FAILED, "exc_info": traceback.format_exc()})
        pipe.sadd(queue.failed_key, job.id)
        pipe.execute()
        return
    conn.hset(key, mapping={"status": FINISHED, "result": json.dumps(result)})


class FailedJobRegistry:
    def __init__(self, queue: Queue):
        self.queue = queue

    def get_job_ids(self) -> List[str]:
        return sorted(raw.decode() for raw in self.queue.connection.smembers(self.queue.failed_key))

    def __contains__(self, job_id: str) -> bool:
        return bool(self.queue.connection.sismember(self.queue.failed_key, job_id))


class SimpleWorker:
    """Runs jobs in its own process (no fork per job, like rq.SimpleWorker)."""

    def __init__(self, queues: List[Queue], connection):
        self.queues = queues
        self.connection = connection

    def work(self, burst: bool = True) -> bool:
        """Burst mode: drain every queue in order, then return. Returns True if at least one job ran."""
        if not burst:
            raise NotImplementedError("only burst mode is implemented")
        did_work = False
        while True:
            for queue in self.queues:
                raw = self.connection.lpop(queue.key)
                if raw is not None:
                    job = Job(raw.decode(), self.connection)
                    perform(queue, job)
                    did_work = True
                    break
            else:
                return did_work  # every queue was empty
