"""The sending queue against an in-memory Discord: retries, pacing, isolation, shutdown."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import pytest
from schedule_support import CountingSender, forbidden, rate_limited, server_error

from bot.schedule.sender import (
    PermanentSendError,
    Prepared,
    SendOutcome,
    SendPolicy,
    SendQueue,
    TokenBucket,
    TransientSendError,
)

FAST = SendPolicy(rate=1000, concurrency=8, attempt_timeout=0.5, max_attempts=4, backoff_base=0.01,
                  backoff_cap=0.05, deadline=5)


@pytest.fixture
async def sender() -> CountingSender:
    return CountingSender()


@pytest.fixture
async def queue(sender: CountingSender) -> AsyncIterator[SendQueue]:
    q = SendQueue(sender, FAST)
    q.start()
    yield q
    await q.stop(0.5)


def job(channel: int, nonce: str = "") -> Prepared:
    return Prepared(channel, f"post for {channel}", nonce or f"n{channel}")


async def test_success(queue: SendQueue, sender: CountingSender) -> None:
    out = await queue.submit(content=job(1))
    assert (out.kind, out.attempts, out.message_id) == ("sent", 1, sender.delivered[0].message_id)


async def test_429_is_retried_after_retry_after_then_succeeds(queue: SendQueue, sender: CountingSender) -> None:
    sender.script[1] = [rate_limited(0.2), rate_limited(0.2)]
    out = await queue.submit(content=job(1))
    assert out.kind == "sent" and out.attempts == 3
    times = [t for ch, _, t in sender.calls if ch == 1]
    assert times[1] - times[0] >= 0.2 and times[2] - times[1] >= 0.2, "retry_after honoured"
    assert {nonce for ch, nonce, _ in sender.calls if ch == 1} == {"n1"}, "same nonce on every attempt"


async def test_5xx_is_retried_and_a_delivered_retry_is_not_a_duplicate(queue: SendQueue, sender: CountingSender) -> None:
    sender.script[1] = [server_error(500), server_error(503)]
    out = await queue.submit(content=job(1))
    assert out.kind == "sent" and out.attempts == 3 and len(sender.posts_to(1)) == 1
    sender.lost_after_send.add(2)  # Discord created the message, then answered 502
    out = await queue.submit(content=job(2))
    assert out.kind == "sent" and out.attempts == 2
    assert len(sender.posts_to(2)) == 1, "the nonce made the retry return the first message"


async def test_permanent_errors_are_not_retried(queue: SendQueue, sender: CountingSender) -> None:
    sender.script[1] = [forbidden()]
    out = await queue.submit(content=job(1))
    assert out.kind == "failed" and out.permanent and out.attempts == 1
    assert isinstance(out.error, PermanentSendError) and out.error.status == 403 and out.error.code == 50013
    with pytest.raises(PermanentSendError):
        sender.script[2] = [forbidden()]
        await queue.send_now(2, "x", nonce="t")


async def test_transient_errors_give_up_after_max_attempts(queue: SendQueue, sender: CountingSender) -> None:
    sender.script[1] = [server_error()] * 10
    out = await queue.submit(content=job(1))
    assert out.kind == "failed" and not out.permanent and out.attempts == FAST.max_attempts
    assert out.maybe_delivered and "gave up after 4 attempts" in str(out.error)


async def test_a_retry_past_the_deadline_fails_now_instead_of_waiting(sender: CountingSender) -> None:
    q = SendQueue(sender, SendPolicy(rate=1000, deadline=1.0, backoff_base=0.01))
    q.start()
    try:
        sender.script[1] = [rate_limited(600.0)]
        out = await asyncio.wait_for(q.submit(content=job(1)), 1.0)
        assert out.kind == "failed" and "deadline" in str(out.error) and not out.maybe_delivered
    finally:
        await q.stop(0.1)


async def test_backoff_grows_with_jitter_and_respects_retry_after(queue: SendQueue) -> None:
    b = [queue.backoff(n, None) for n in (1, 2, 3, 10)]
    assert 0.005 <= b[0] <= 0.01 and 0.01 <= b[1] <= 0.02 and b[3] <= FAST.backoff_cap
    assert queue.backoff(1, 3.0) >= 3.0


async def test_one_slow_and_one_failing_guild_do_not_delay_the_others(sender: CountingSender) -> None:
    queue = SendQueue(sender, SendPolicy(rate=1000, concurrency=4, attempt_timeout=1.0, max_attempts=1))
    queue.start()
    sender.script[1] = [30.0]  # hangs until its attempt times out
    sender.script[2] = [server_error()]  # fails
    slow = queue.submit(content=job(1))
    failing = queue.submit(content=job(2))
    others = [queue.submit(content=job(100 + k)) for k in range(40)]
    done = await asyncio.gather(*others)
    assert all(o.kind == "sent" for o in done)
    # All sent while the slow one is still in its attempt (timing: benchmarks/bench_schedule.py, "slow_guild").
    assert not slow.done(), "the others waited for the slow guild"
    assert (await failing).kind == "failed"
    out = await slow
    assert out.kind == "failed" and "no answer within" in str(out.error) and out.maybe_delivered
    await queue.stop(0.1)


async def test_token_bucket_paces_requests() -> None:
    bucket = TokenBucket(rate=200, capacity=1)
    loop = asyncio.get_running_loop()
    stamps = []
    for _ in range(60):
        await bucket.acquire()
        stamps.append(loop.time())
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert min(gaps) >= 1 / 200 - 0.001  # stamps are taken after the grant: allow scheduling jitter
    assert stamps[-1] - stamps[0] >= 59 / 200 * 0.999


async def test_global_rate_is_never_exceeded(sender: CountingSender) -> None:
    q = SendQueue(sender, SendPolicy(rate=100, concurrency=16))
    q.start()
    try:
        await asyncio.gather(*(q.submit(content=job(k)) for k in range(120)))
    finally:
        await q.stop(0.1)
    times = sorted(t for _, _, t in sender.calls)
    worst = max(sum(1 for u in times if t <= u < t + 1.0) for t in times)
    assert worst <= 100


async def test_prepare_runs_right_before_sending_and_may_cancel(queue: SendQueue, sender: CountingSender) -> None:
    order: list[str] = []

    async def prepare_yes() -> Prepared | None:
        order.append("prepare")
        return job(1)

    async def prepare_no() -> Prepared | None:
        return None

    done: list[SendOutcome] = []

    async def on_done(o: SendOutcome) -> None:
        order.append(o.kind)
        done.append(o)

    await queue.submit(prepare=prepare_yes, on_done=on_done)
    out = await queue.submit(prepare=prepare_no, on_done=on_done)
    assert out.kind == "dropped" and order == ["prepare", "sent", "dropped"] and len(sender.delivered) == 1


async def test_stop_ends_every_job_and_says_whether_it_may_have_been_delivered(sender: CountingSender) -> None:
    q = SendQueue(sender, SendPolicy(rate=1000, concurrency=1, backoff_base=5, backoff_cap=5, attempt_timeout=5))
    q.start()
    sender.script[1] = [rate_limited(5.0)]  # refused: certainly not delivered
    sender.script[2] = [server_error(502)]  # may have landed
    sender.script[3] = [10.0]  # in flight at stop
    outcomes: dict[int, SendOutcome] = {}

    def record(ch: int):  # type: ignore[no-untyped-def]
        async def on_done(o: SendOutcome) -> None:
            outcomes[ch] = o
        return on_done

    for ch in (1, 2, 3, 4):
        q.submit(content=job(ch), on_done=record(ch))
    while len(sender.calls) < 3:
        await asyncio.sleep(0.01)
    await q.stop(timeout=0.1)
    assert outcomes[1].kind == "interrupted" and not outcomes[1].maybe_delivered
    assert outcomes[2].kind == "interrupted" and outcomes[2].maybe_delivered
    assert outcomes[3].kind == "interrupted" and outcomes[3].maybe_delivered
    assert outcomes[4].kind == "interrupted" and not outcomes[4].maybe_delivered
    assert q.pending == 0
    with pytest.raises(RuntimeError):
        q.submit(content=job(5))


async def test_errors_read_well() -> None:
    assert str(PermanentSendError(404, 10003, "Unknown Channel")) == "404 (10003): Unknown Channel"
    assert str(TransientSendError(429, 1.5, "slow down")) == "429: slow down"
    assert str(TransientSendError(None)) == "network: transient error"
