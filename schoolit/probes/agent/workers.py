"""Large sweeps split over forked worker processes, so that a sweep uses every core it may.

Most of a v2c poll's CPU is pyasn1 decoding the answer (see `schoolit.probes.agent.v2c`), and one Python
process decodes on one core. A split sweep therefore deals the targets out to `workers` processes
(every `workers`-th target to the same one, so dead devices and profiles spread evenly), each with its
own poller, its own socket and its share of the concurrency: `workers - 1` children forked from here
plus this process itself. Results are merged back into target order, so callers see exactly what one
process would have returned.

- Forked, not spawned: a child starts with the imports already done (a spawned interpreter costs
  ~0.1-0.2 s CPU of start-up and imports per worker). It is forked before any event loop runs in
  this process (`poll_split`, or `SplitSweep.fork` then `.run`, from synchronous code) and before
  any thread of ours starts (a progress bar's), so the child starts its own loop with nothing
  inherited but the targets.
- A child sends each result as soon as it has it, as a length-prefixed msgpack frame
  `(position in its share, PollResult)` over a pipe; the parent reads the pipes from its own event
  loop while it polls its share (a child never blocks on a full pipe, and a progress bar moves for
  every result).
- A child that dies or sends garbage does not take the sweep with it: the targets it did not report
  get failed results naming the worker.
- A child leaves with `os._exit`: it must not run the parent's exit handlers or flush its buffers.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import NamedTuple, NoReturn

import msgspec

from schoolit.probes.agent.snmp import PollResult, SnmpPoller, failed_result
from schoolit.probes.agent.wire import ProbeTarget

# Below this many targets per worker, a second process does not pay for itself (start-up, merging).
TARGETS_PER_WORKER = 500
_FRAME_LENGTH = 4  # bytes of the big-endian length before each frame
_Frame = tuple[int, PollResult]


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, where the platform tells)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def auto_workers(target_count: int) -> int:
    """One worker per `TARGETS_PER_WORKER` targets (rounded up), at most one per usable core."""
    return max(1, min(usable_cores(), -(-target_count // TARGETS_PER_WORKER)))


class PollSettings(NamedTuple):
    """How each worker polls: its requests in flight, the timeout and retries of every request."""

    concurrency: int
    timeout: float
    retries: int


def poll_split(
    targets: Sequence[ProbeTarget],
    *,
    workers: int,
    settings: PollSettings,
    on_result: Callable[[PollResult], None] | None = None,
) -> list[PollResult]:
    """Poll every target over `workers` processes (this one included); results in target order.

    Call it where no event loop is running. `settings.concurrency` is the total over all workers.
    """
    return SplitSweep.fork(targets, workers=workers, settings=settings).run(on_result)


class SplitSweep:
    """A sweep whose workers are forked (`fork`) before it runs here (`run`), so that the caller can
    start threads in between (a progress bar's) without forking a process that has threads."""

    def __init__(self, shares: list[list[ProbeTarget]], own: PollSettings, children: list[_Child]) -> None:
        self._shares = shares
        self._own = own
        self._children = children

    @classmethod
    def fork(cls, targets: Sequence[ProbeTarget], *, workers: int, settings: PollSettings) -> SplitSweep:
        targets = list(targets)
        workers = max(1, min(workers, len(targets), settings.concurrency))
        if not hasattr(os, "fork"):
            workers = 1  # no fork (Windows): one process
        shares = [targets[k::workers] for k in range(workers)]
        # The concurrency dealt out like the targets: the workers' shares add up to the whole.
        share_settings = [
            settings._replace(concurrency=settings.concurrency // workers + (k < settings.concurrency % workers))
            for k in range(workers)
        ]
        children: list[_Child] = []
        try:
            for k in range(1, workers):
                children.append(_Child.fork(shares[k], share_settings[k]))
        except BaseException:
            _reap_killing(children)
            raise
        return cls(shares, share_settings[0], children)

    def run(self, on_result: Callable[[PollResult], None] | None = None) -> list[PollResult]:
        """Poll this process's share while the workers report; every result in target order."""
        children = self._children
        try:
            own = asyncio.run(_poll_with_children(self._shares[0], self._own, children, on_result))
        except BaseException:
            _reap_killing(children)
            raise
        for child in children:
            child.reap(kill=False)  # its pipe has ended: it has reported everything it will
        workers = len(self._shares)
        merged: list[PollResult | None] = [None] * sum(len(share) for share in self._shares)
        merged[0::workers] = own
        for k, child in enumerate(children, start=1):
            merged[k::workers] = child.final_results()
        return [result for result in merged if result is not None]


def _reap_killing(children: list[_Child]) -> None:
    for child in children:
        child.reap(kill=True)  # no orphans polling on, no zombies


async def _poll(
    targets: list[ProbeTarget], settings: PollSettings, on_result: Callable[[PollResult], None] | None
) -> list[PollResult]:
    async with SnmpPoller(
        concurrency=settings.concurrency, timeout=settings.timeout, retries=settings.retries
    ) as poller:
        return await poller.poll_all(targets, on_result=on_result)


async def _poll_with_children(
    targets: list[ProbeTarget],
    settings: PollSettings,
    children: list[_Child],
    on_result: Callable[[PollResult], None] | None,
) -> list[PollResult]:
    """This process's share, while the children's results are read as they come."""
    loop = asyncio.get_running_loop()
    ends = [child.listen(loop, on_result) for child in children]
    results = await _poll(targets, settings, on_result)
    await asyncio.gather(*ends)
    return results


class _Child:
    """One forked worker: its pid, the read end of its result pipe, what it has reported so far."""

    def __init__(self, pid: int, pipe: int, targets: list[ProbeTarget]) -> None:
        self.pid = pid
        self.pipe = pipe
        self.targets = targets
        self.results: list[PollResult | None] = [None] * len(targets)
        self.exit_code: int | None = None
        self._buffer = bytearray()
        self._decoder = msgspec.msgpack.Decoder(_Frame)

    @classmethod
    def fork(cls, targets: list[ProbeTarget], settings: PollSettings) -> _Child:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: poll, report, leave without running anything of the parent's
            os.close(read_end)
            _work(targets, settings, write_end)
        os.close(write_end)  # only the child holds it now: its exit is the pipe's end of file
        return cls(pid, read_end, targets)

    def listen(
        self, loop: asyncio.AbstractEventLoop, on_result: Callable[[PollResult], None] | None
    ) -> asyncio.Future[None]:
        """Read this child's frames from `loop`; the future is done at the pipe's end of file."""
        ended: asyncio.Future[None] = loop.create_future()
        os.set_blocking(self.pipe, False)

        def readable() -> None:
            try:
                chunk = os.read(self.pipe, 1 << 16)
            except BlockingIOError:
                return
            if not chunk:
                loop.remove_reader(self.pipe)
                ended.set_result(None)
                return
            for position, result in self._frames(chunk):
                if 0 <= position < len(self.results):
                    self.results[position] = result
                    if on_result is not None:
                        on_result(result)

        loop.add_reader(self.pipe, readable)
        return ended

    def _frames(self, chunk: bytes) -> list[_Frame]:
        buffer = self._buffer
        buffer += chunk
        frames: list[_Frame] = []
        start = 0
        while len(buffer) - start >= _FRAME_LENGTH:
            end = start + _FRAME_LENGTH + int.from_bytes(buffer[start : start + _FRAME_LENGTH], "big")
            if end > len(buffer):
                break
            with contextlib.suppress(msgspec.DecodeError):  # a damaged frame: its target is not reported
                frames.append(self._decoder.decode(buffer[start + _FRAME_LENGTH : end]))
            start = end
        del buffer[:start]
        return frames

    def reap(self, *, kill: bool) -> None:
        """Close the pipe and wait for the child; `kill` it first when the sweep failed here."""
        if self.exit_code is not None:
            return
        os.close(self.pipe)
        if kill:
            os.kill(self.pid, signal.SIGKILL)
        _, status = os.waitpid(self.pid, 0)
        self.exit_code = os.waitstatus_to_exitcode(status)

    def final_results(self) -> list[PollResult]:
        """Its results in share order; failed ones for the targets it did not report."""
        polled_at = datetime.now(UTC)
        error = f"worker process {self.pid} ended (status {self.exit_code}) without a result"
        return [
            result if result is not None else failed_result(target, polled_at, error)
            for target, result in zip(self.targets, self.results, strict=True)
        ]


def _work(targets: list[ProbeTarget], settings: PollSettings, pipe: int) -> NoReturn:
    """The child's whole life: poll its share, write one frame per result, exit."""
    code = 1
    try:
        encoder = msgspec.msgpack.Encoder()
        # The poller hands back the very target objects it was given; a target listed twice is
        # reported at each of its positions in turn.
        positions: dict[int, list[int]] = {}
        for n, target in enumerate(targets):
            positions.setdefault(id(target), []).append(n)

        def report(result: PollResult) -> None:
            frame = encoder.encode((positions[id(result.target)].pop(0), result))
            data = len(frame).to_bytes(_FRAME_LENGTH, "big") + frame
            while data:
                data = data[os.write(pipe, data) :]

        asyncio.run(_poll(targets, settings, report))
        code = 0
    except BaseException as exc:  # whatever happens, the child must not return into the parent's code
        sys.stderr.write(f"schoolit-probe: worker {os.getpid()} failed: {type(exc).__name__}: {exc}\n")
    finally:
        os._exit(code)
