"""The sending queue: rate-limited, bounded, retrying delivery through an injected ``PostSender``.

Design:

* One global token bucket (default 50 requests/s, burst 1, so no half-open one-second window
  ever holds more than ``rate`` requests) shared by every job.
* ``concurrency`` workers take jobs from one FIFO. A worker runs *one attempt* and lets go: a job
  waiting to retry sits on a timer, not on a worker, so failing guilds cannot starve the rest,
  and each attempt has its own timeout so a slow one holds a worker for at most that long.
* A job may carry ``prepare``, run by the worker just before the first attempt. The scheduler
  claims the ledger row there, so at any moment only the few jobs actually being sent are
  claimed; a crash leaves at most ``concurrency`` rows whose outcome is unknown.
* Retries: exponential backoff with jitter, at least Discord's ``retry_after``, bounded by
  ``max_attempts`` and a per-job ``deadline`` (which the scheduler keeps shorter than the age at
  which an unfinished claim is declared 'unknown').
* Every attempt carries the same ``nonce``. A Discord ``PostSender`` should send it as the
  message nonce with ``enforce_nonce``, so a retry after a 5xx or a timeout that did reach
  Discord returns the first message instead of creating a second one.
* Each job ends in exactly one :class:`SendOutcome`, delivered to ``on_done`` and the job's future.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Literal, Protocol

log = logging.getLogger(__name__)


class SendError(Exception):
    """A post could not be delivered."""


class TransientSendError(SendError):
    """Worth retrying: 429, 5xx, network. ``status`` is None for network errors/timeouts."""

    def __init__(self, status: int | None, retry_after: float | None = None, message: str = "") -> None:
        self.status = status
        self.retry_after = retry_after
        self.message = message
        super().__init__(f"{status if status is not None else 'network'}: {message or 'transient error'}")


class PermanentSendError(SendError):
    """Retrying cannot help until someone fixes something: 403 missing permissions, 404 unknown channel."""

    def __init__(self, status: int, code: int | None = None, message: str = "") -> None:
        self.status = status
        self.code = code
        self.message = message
        detail = f" ({code})" if code is not None else ""
        super().__init__(f"{status}{detail}: {message or 'permanent error'}")


class PostSender(Protocol):
    """The boundary to Discord. Return the new message's id; raise the two errors above.

    ``nonce`` is stable across retries of one post (≤ 25 characters). Pass it to Discord as the
    message ``nonce`` with ``enforce_nonce: true`` so that retrying a request Discord already
    processed returns the existing message instead of posting twice.
    """

    async def send(self, channel_id: int, content: str, *, nonce: str) -> int: ...


@dataclass(frozen=True)
class SendPolicy:
    """Limits of the queue. Times in seconds."""

    rate: float = 50.0
    burst: float = 1.0
    concurrency: int = 32
    attempt_timeout: float = 30.0
    max_attempts: int = 5
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    deadline: float = 600.0  # per job, from its first attempt

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1 or self.concurrency < 1 or self.max_attempts < 1:
            raise ValueError("rate > 0, burst >= 1, concurrency >= 1, max_attempts >= 1")
        if self.attempt_timeout <= 0 or self.deadline <= 0 or self.backoff_base < 0 or self.backoff_cap < 0:
            raise ValueError("timeouts must be positive and backoff non-negative")


class TokenBucket:
    """Global pacing: ``rate`` tokens per second, at most ``capacity`` saved up. FIFO-fair."""

    def __init__(self, rate: float, capacity: float = 1.0) -> None:
        self.rate = rate
        self.capacity = max(1.0, capacity)
        self._tokens = self.capacity
        self._updated: float | None = None
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            loop = asyncio.get_running_loop()
            while True:
                now = loop.time()
                if self._updated is not None:
                    self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return
                await asyncio.sleep((1.0 - self._tokens) / self.rate)


@dataclass(frozen=True)
class Prepared:
    """What ``prepare`` decided to send."""

    channel_id: int
    content: str
    nonce: str


OutcomeKind = Literal["sent", "failed", "dropped", "interrupted"]


@dataclass(frozen=True)
class SendOutcome:
    """How a job ended.

    * ``sent``: delivered, ``message_id`` set.
    * ``failed``: given up; ``permanent`` tells 403/404 from exhausted retries.
    * ``dropped``: nothing was sent (``prepare`` returned None, or the queue stopped first).
    * ``interrupted``: the queue stopped while the job was mid-way.
    ``maybe_delivered`` is True when some attempt may have reached Discord (a 5xx, a timeout,
    a network error); False when every attempt was refused up front (429) or none was made.
    """

    kind: OutcomeKind
    message_id: int | None = None
    attempts: int = 0
    error: BaseException | None = None
    permanent: bool = False
    maybe_delivered: bool = False
    prepared: Prepared | None = None


Prepare = Callable[[], Awaitable[Prepared | None]]
OnDone = Callable[[SendOutcome], Awaitable[None]]


@dataclass(eq=False)
class _Job:
    key: Hashable
    prepare: Prepare | None
    on_done: OnDone | None
    future: asyncio.Future[SendOutcome]
    prepared: Prepared | None = None
    attempts: int = 0
    deadline: float = 0.0
    maybe_delivered: bool = False
    finished: bool = False
    timer: asyncio.TimerHandle | None = field(default=None, repr=False)


class SendQueue:
    """Deliver posts through ``sender`` within ``policy``. ``start()`` on the running loop first."""

    def __init__(self, sender: PostSender, policy: SendPolicy | None = None, *, rng: random.Random | None = None) -> None:
        self.sender = sender
        self.policy = policy or SendPolicy()
        self._bucket = TokenBucket(self.policy.rate, self.policy.burst)
        self._rng = rng or random.Random()
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []
        self._active: set[_Job] = set()  # a worker is preparing or attempting it
        self._waiting: set[_Job] = set()  # on a retry timer
        self._finishing: set[asyncio.Task[None]] = set()  # on_done running
        self._unfinished = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._closing = False
        self._ids = itertools.count()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Spawn the workers on the running loop."""
        if self._workers:
            return
        self._closing = False
        self._workers = [
            asyncio.create_task(self._worker(), name=f"safeer-send-{k}") for k in range(self.policy.concurrency)
        ]

    @property
    def running(self) -> bool:
        return bool(self._workers) and not self._closing

    @property
    def pending(self) -> int:
        """Jobs not finished yet (queued, being prepared or sent, or waiting to retry)."""
        return self._unfinished

    async def join(self) -> None:
        """Wait until every submitted job has finished, ``on_done`` included."""
        await self._idle.wait()

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop. Queued jobs end 'dropped' (never prepared) or 'interrupted' (a retry was due);
        jobs waiting to retry end 'interrupted'; jobs in a worker get ``timeout`` seconds to
        finish, then are cancelled and end 'interrupted'. Every job still gets its ``on_done``."""
        self._closing = True
        while not self._queue.empty():
            job = self._queue.get_nowait()
            self._queue.task_done()
            await self._finish(job, SendOutcome("dropped") if job.prepared is None else self._interrupted(job))
        for job in list(self._waiting):
            if job.timer is not None:
                job.timer.cancel()
            self._waiting.discard(job)
            await self._finish(job, self._interrupted(job))
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while self._active and loop.time() < end:
            await asyncio.sleep(0.01)
        stuck = list(self._active)
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []
        for job in stuck:  # cancelled while preparing or sending
            await self._finish(job, self._interrupted(job))
        if self._finishing:
            await asyncio.wait(set(self._finishing), timeout=max(0.1, end - loop.time()))

    # -- submitting --------------------------------------------------------------------------

    def submit(
        self,
        *,
        prepare: Prepare | None = None,
        content: Prepared | None = None,
        on_done: OnDone | None = None,
        key: Hashable = None,
    ) -> asyncio.Future[SendOutcome]:
        """Queue a job: either ``content`` to send as is, or ``prepare`` to decide at send time."""
        if (prepare is None) == (content is None):
            raise ValueError("give exactly one of prepare= and content=")
        if self._closing or not self._workers:
            raise RuntimeError("the send queue is not running")
        job = _Job(
            key=key if key is not None else next(self._ids),
            prepare=prepare,
            on_done=on_done,
            future=asyncio.get_running_loop().create_future(),
            prepared=content,
        )
        self._unfinished += 1
        self._idle.clear()
        self._queue.put_nowait(job)
        return job.future

    async def send_now(self, channel_id: int, content: str, *, nonce: str) -> int:
        """Send one message through the queue (rate limit, retries); raise :class:`SendError` on failure."""
        outcome = await self.submit(content=Prepared(channel_id, content, nonce))
        if outcome.kind == "sent" and outcome.message_id is not None:
            return outcome.message_id
        if isinstance(outcome.error, SendError):
            raise outcome.error
        raise TransientSendError(None, None, f"not sent ({outcome.kind})")

    # -- the work ----------------------------------------------------------------------------

    async def _worker(self) -> None:
        while True:
            job = await self._queue.get()
            self._active.add(job)
            try:
                outcome = await self._attempt(job)
            except Exception as exc:  # a bug in prepare must not kill the worker
                log.exception("send job %r crashed", job.key)
                outcome = SendOutcome("failed", attempts=job.attempts, error=exc,
                                      maybe_delivered=job.maybe_delivered, prepared=job.prepared)
            self._active.discard(job)
            self._queue.task_done()
            if outcome is not None:
                await self._finish(job, outcome)

    async def _attempt(self, job: _Job) -> SendOutcome | None:
        """One step of a job; returns its final outcome, or None when a retry was scheduled."""
        loop = asyncio.get_running_loop()
        if job.prepared is None:
            assert job.prepare is not None
            job.prepared = await job.prepare()
            if job.prepared is None:
                return SendOutcome("dropped")
        if job.attempts == 0:
            job.deadline = loop.time() + self.policy.deadline
        await self._bucket.acquire()
        p = job.prepared
        job.attempts += 1
        try:
            message_id = await asyncio.wait_for(
                self.sender.send(p.channel_id, p.content, nonce=p.nonce), self.policy.attempt_timeout
            )
        except asyncio.CancelledError:  # stopped mid-request: it may have gone out
            job.maybe_delivered = True
            raise
        except PermanentSendError as exc:
            return SendOutcome("failed", attempts=job.attempts, error=exc, permanent=True,
                               maybe_delivered=job.maybe_delivered, prepared=p)
        except TransientSendError as exc:
            if exc.status != 429:  # a 429 is refused before processing; anything else may have landed
                job.maybe_delivered = True
            return self._retry_or_fail(job, exc)
        except TimeoutError:
            job.maybe_delivered = True
            return self._retry_or_fail(
                job, TransientSendError(None, None, f"no answer within {self.policy.attempt_timeout:g} s")
            )
        except Exception as exc:  # the sender should map its errors; treat the unknown as transient
            job.maybe_delivered = True
            log.warning("sender raised %r for job %r; treating it as transient", exc, job.key)
            return self._retry_or_fail(job, TransientSendError(None, None, repr(exc)))
        return SendOutcome("sent", message_id=message_id, attempts=job.attempts, maybe_delivered=True, prepared=p)

    def backoff(self, attempts: int, retry_after: float | None) -> float:
        """Delay before the next attempt: capped exponential with jitter, never below ``retry_after``."""
        exp = min(self.policy.backoff_cap, self.policy.backoff_base * (2.0 ** (attempts - 1)))
        delay = exp * self._rng.uniform(0.5, 1.0)
        if retry_after is not None and retry_after > 0:
            delay = max(delay, retry_after * self._rng.uniform(1.0, 1.1))
        return delay

    def _retry_or_fail(self, job: _Job, err: TransientSendError) -> SendOutcome | None:
        loop = asyncio.get_running_loop()
        delay = self.backoff(job.attempts, err.retry_after)
        if self._closing or job.attempts >= self.policy.max_attempts or loop.time() + delay > job.deadline:
            if self._closing:
                why = "stopping"
            elif job.attempts >= self.policy.max_attempts:
                why = f"gave up after {job.attempts} attempts"
            else:
                why = f"gave up: a retry in {delay:.1f} s would pass the {self.policy.deadline:g} s deadline"
            final = TransientSendError(err.status, err.retry_after, f"{err.message} ({why})".strip())
            return SendOutcome("interrupted" if self._closing else "failed", attempts=job.attempts, error=final,
                               maybe_delivered=job.maybe_delivered, prepared=job.prepared)
        log.info("retrying send job %r in %.2f s after %s", job.key, delay, err)
        self._waiting.add(job)
        job.timer = loop.call_later(delay, self._requeue, job)
        return None

    def _requeue(self, job: _Job) -> None:
        self._waiting.discard(job)
        job.timer = None
        self._queue.put_nowait(job)

    def _interrupted(self, job: _Job) -> SendOutcome:
        return SendOutcome("interrupted", attempts=job.attempts, maybe_delivered=job.maybe_delivered,
                           prepared=job.prepared, error=TransientSendError(None, None, "the bot stopped"))

    async def _finish(self, job: _Job, outcome: SendOutcome) -> None:
        """Record the outcome once. ``on_done`` runs in its own task, shielded, so cancelling a
        worker during shutdown cannot cut a ledger write in half."""
        if job.finished:
            return
        job.finished = True
        task = asyncio.get_running_loop().create_task(self._complete(job, outcome))
        self._finishing.add(task)
        task.add_done_callback(self._finishing.discard)
        await asyncio.shield(task)

    async def _complete(self, job: _Job, outcome: SendOutcome) -> None:
        try:
            if job.on_done is not None:
                await job.on_done(outcome)
        except Exception:
            log.exception("recording the outcome of send job %r failed", job.key)
        finally:
            if not job.future.done():
                job.future.set_result(outcome)
            self._unfinished -= 1
            if self._unfinished == 0:
                self._idle.set()
