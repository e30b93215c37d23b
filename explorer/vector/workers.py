"""Worker processes for the vector back end: each owns a partition of the visited set
(OwnerPool, an Owners transport of explorer.vector.partition, which states the rounds of
a level and what the engine relies on).

A worker holds a Partition (built at the fork, sharing the compiled model): its visited
set, its states of the next level and those it expands of the current one. The main
process only coordinates, with small messages; what is large goes from worker to worker
through shared memory, in blocks of rows of uint64s, without a copy through the main
process. Per level the main process tells every worker to hand off its new states:
each ranks them among every worker's keys of the level (its own, and those the others
wrote into their blocks for it), writes those another worker expands into its block for
that worker (words and global indices) and replies with their counts; the main process
tells each worker where to read them and to expand its states of the slice; each writes
the successors bound for worker j into its block for j (words, fingerprints and keys)
and replies with their counts, its first error and deadlock; the main process then
tells each worker where to read, and each takes in its successors, stores and checks
the new ones, writes their sorted keys into its block for every other worker and
replies with them (8 bytes per new state, over the pipe). The main process merges
them, for the parent links, while the workers expand the next slice.

Workers are forked after the model is compiled, so they share its compiled actions
without pickling anything.

Faults end the run, never hang it nor outlive it. The blocks are memfds (an unlinked
temporary file where there is none) handed over by file descriptor (a new block, made
when one must grow, passes through the main process to its reader as a descriptor):
they have no name, and the kernel frees each once no process of the run maps it,
however the run ends. A worker that dies (killed by a signal, a crash) closes its pipe:
the main process reads the end of file and stops, INCOMPLETE, "worker N died (signal
S)"; a worker that gets a MemoryError says so and the search stops, INCOMPLETE, "out
of memory". While it waits for the workers the main process polls the search's bounds
and signals, and stops the run on one; workers still busy then are killed. A worker
dies with the main process: the kernel kills it (PR_SET_PDEATHSIG, Linux), and, failing
that, it sees the end of file on its pipe, or its parent change while it waits.
"""

from __future__ import annotations

import contextlib
import errno
import mmap
import multiprocessing as mp
import os
import signal
import tempfile
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from multiprocessing.reduction import recv_handle, send_handle

import numpy as np

from mmcheck.explorer.core.forked import available_cpus, die_with_parent
from mmcheck.explorer.core.limits import OUT_OF_MEMORY, Fault
from mmcheck.explorer.vector.model import VectorModel
from mmcheck.explorer.vector.partition import (
    Handed,
    LevelExpansion,
    NewStates,
    Outgoing,
    Partition,
)

ORPHAN_POLL = 1.0  # seconds between two looks at its parent by a waiting worker
POLL = 0.1  # seconds between two polls of the search's bounds while workers are busy


def default_workers() -> int:
    return available_cpus()


class Block:
    """Memory shared by file descriptor: made by one process, sent to another."""

    def __init__(self, size: int, fd: int | None = None) -> None:
        if fd is None:
            if hasattr(os, "memfd_create"):
                fd = os.memfd_create("mmcheck", os.MFD_CLOEXEC)
            else:
                fd, path = tempfile.mkstemp(prefix="mmcheck-")
                os.unlink(path)
            os.ftruncate(fd, size)
        self.fd = fd
        self.size = size
        try:
            self.buf = mmap.mmap(fd, size)
        except OSError as e:
            os.close(fd)
            if e.errno == errno.ENOMEM:
                raise MemoryError(str(e)) from None
            raise

    def send(self, conn: Connection) -> None:
        send_handle(conn, self.fd, 0)  # the pid is for Windows only

    def close(self) -> None:
        self.buf.close()
        os.close(self.fd)


def _orphan_proof(parent: int, inherited: list[Connection]) -> None:
    """Make a fresh worker end with its parent, and leave signals to the parent."""
    die_with_parent(parent, inherited)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the group: the parent stops us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _replace(blocks: dict, key: object, size: int, fd: int | None = None) -> Block:
    """A new block of `size` bytes (mapping `fd`, if given) in place of blocks[key]."""
    old = blocks.pop(key, None)
    if old is not None:
        old.close()
    block = blocks[key] = Block(size, fd)
    return block


# What a block carries: the states of a level handed to the owner expanding them (their
# words and global indices), successors sent to their owner (words, fingerprints, keys),
# or the keys of an owner's new states, sent to every other owner for its hand-off
LEVEL, SUCCESSORS, KEYS = "level", "successors", "keys"
Key = tuple[str, int]  # a block's kind, and the worker at its other end
Sources = list[tuple[int, int, int | None]]  # what a worker reads of the blocks of a kind


class _Owner:
    """A worker's side: its Partition, the blocks it writes (by kind and destination)
    and reads (by kind and source), its own share of what it sends, and the other
    workers' keys of the next level (a sorted piece a source a `receive`)."""

    def __init__(self, part: Partition, conn: Connection) -> None:
        self.part = part
        self.conn = conn
        self.nwords = part.vm.layout.nwords
        self.outs: dict[Key, Block] = {}
        self.ins: dict[Key, Block] = {}
        self.held: Handed | None = None
        self.local: Outgoing | None = None
        self.others: list[np.ndarray] = []

    def answer(self, msg: tuple) -> tuple[object, list[tuple[Key, Block]]]:
        """The reply to a message of the main process, and the new blocks whose
        descriptors follow it, each with its kind and the worker it is for."""
        part = self.part
        if msg[0] == "seed":
            return self.reported(part.receive([msg[1]], msg[2]))
        if msg[0] == "hand_off":
            self.take_keys(msg[1])
            others, self.others = self.others, []
            handed = part.hand_off(others, msg[2])
            self.held = handed[part.index]
            return self.send(LEVEL, [[h.words, h.at.view(np.uint64)] for h in handed])
        if msg[0] == "expand":
            return self.expand(msg[1], msg[2], msg[3])
        if msg[0] == "receive":
            return self.reported(self.receive(msg[1], msg[2]))
        if msg[0] == "generated":
            return part.generated_before(msg[1]), []
        assert msg[0] == "stored", msg
        return len(part), []

    def reported(
        self, new: NewStates
    ) -> tuple[tuple[NewStates, list[int]], list[tuple[Key, Block]]]:
        """The reply to a `receive`: the report, and its keys written for every other
        worker (their counts by destination)."""
        counts, fresh = self.send(KEYS, [[new.keys.view(np.uint64)]] * self.part.parts)
        return (new, counts), fresh

    def take_keys(self, sources: Sources) -> None:
        """Keep a copy of the keys each source worker wrote in its block for this one."""
        for rows in self.read(KEYS, sources):
            self.others.append(rows[0].view(np.int64).copy())

    def expand(
        self, keys: Sources | None, sources: Sources | None, upto: int
    ) -> tuple[tuple[LevelExpansion, list[int]], list[tuple[Key, Block]]]:
        """Keep the other workers' keys of the last `receive` (`keys`, if given). At a
        level's first slice (`sources` given), adopt the states handed to this worker:
        its own and, from each source, those in its block (slices as long as the first,
        which ends at `upto`). Then expand up to global index `upto` and write the
        successors for each other worker into its block. The report (without
        successors) and their counts by destination."""
        part = self.part
        if keys is not None:
            self.take_keys(keys)
        if sources is not None:
            got = [self.held] if self.held is not None else []
            for rows in self.read(LEVEL, sources):
                got.append(Handed(rows[self.nwords].view(np.int64), rows[: self.nwords]))
            self.held = None
            part.adopt(got, upto)
            del got
        level = part.expand(upto)
        self.local = level.outgoing[part.index]
        rows = [[o.words, o.fps, o.keys.view(np.uint64)] for o in level.outgoing]
        level.outgoing = []
        counts, fresh = self.send(SUCCESSORS, rows)
        return (level, counts), fresh

    def receive(self, covers: Sequence[int], sources: Sources) -> NewStates:
        """Take in the level's successors: this worker's own and, from each source, those
        in its block."""
        got = [] if self.local is None else [self.local]
        for rows in self.read(SUCCESSORS, sources):
            keys = rows[self.nwords + 1].view(np.int64)
            got.append(Outgoing(keys, rows[self.nwords], rows[: self.nwords]))
        self.local = None
        new = self.part.receive(got, covers)
        del got
        return new

    def send(
        self, kind: str, rows: list[list[np.ndarray]]
    ) -> tuple[list[int], list[tuple[Key, Block]]]:
        """Write rows[j] (arrays of m columns of uint64s: (r, m) arrays and 1-D ones, a
        row each) into the block of this kind for each other worker j; their counts (m)
        by destination, and the blocks made anew (one must grow)."""
        counts, fresh = [], []
        for j, arrays in enumerate(rows):
            stacked = [np.atleast_2d(x) for x in arrays]
            m = stacked[0].shape[1]
            counts.append(m)
            if j == self.part.index:
                continue
            nrows = sum(x.shape[0] for x in stacked)
            need = 8 * nrows * m
            block = self.outs.get((kind, j))
            if block is None or block.size < need:
                block = _replace(self.outs, (kind, j), max(2 * need, 1 << 16))
                fresh.append(((kind, j), block))
            out = np.ndarray((nrows, m), np.uint64, block.buf)
            r = 0
            for x in stacked:
                out[r : r + x.shape[0]] = x
                r += x.shape[0]
            del out
        return counts, fresh

    def read(self, kind: str, sources: Sources) -> list[np.ndarray]:
        """From each source worker, the rows of the count given in its block of this kind
        (a new one's descriptor follows the message)."""
        nrows = {LEVEL: self.nwords + 1, SUCCESSORS: self.nwords + 2, KEYS: 1}[kind]
        got = []
        for i, m, size in sources:
            if size is not None:
                _replace(self.ins, (kind, i), size, recv_handle(self.conn))
            if m:
                got.append(np.ndarray((nrows, m), np.uint64, self.ins[kind, i].buf))
        return got

    def close(self) -> None:
        for block in [*self.outs.values(), *self.ins.values()]:
            block.close()


def _serve(
    vm: VectorModel,
    deadlock: bool,
    keep_words: bool,
    index: int,
    parts: int,
    chunk: int,
    conn: Connection,
    parent: int,
    inherited: list[Connection],
) -> None:
    """A worker's loop: answer the main process's messages until told to stop."""
    _orphan_proof(parent, inherited)
    owner = None
    try:
        owner = _Owner(Partition(vm, deadlock, keep_words, index, parts, chunk), conn)
        while True:
            while not conn.poll(ORPHAN_POLL):
                if os.getppid() != parent:
                    return
            msg = conn.recv()
            if msg is None:
                return
            try:
                reply, blocks = owner.answer(msg)
            except MemoryError:
                conn.send(OUT_OF_MEMORY)
                continue
            conn.send((reply, [(key, block.size) for key, block in blocks]))
            for _, block in blocks:
                block.send(conn)
    except MemoryError:  # building its Partition
        with contextlib.suppress(OSError):
            conn.send(OUT_OF_MEMORY)
    except (EOFError, OSError):  # the main process is gone
        return
    finally:
        if owner is not None:
            owner.close()


class OwnerPool:
    """`n` forked workers owning the partitions of the visited set: an Owners transport
    (explorer.vector.partition). `poll` is called while they are busy; the reason to
    stop it returns ends the run (a Fault)."""

    def __init__(
        self,
        vm: VectorModel,
        deadlock: bool,
        keep_words: bool,
        n: int,
        chunk: int,
        poll: Callable[[], str | None],
    ) -> None:
        ctx = mp.get_context("fork")
        self.parts = n
        self.poll = poll
        self.conns: list[Connection] = []
        self.procs = []
        for i in range(n):
            mine, theirs = ctx.Pipe()
            p = ctx.Process(
                target=_serve,
                daemon=True,
                args=(
                    vm,
                    deadlock,
                    keep_words,
                    i,
                    n,
                    chunk,
                    theirs,
                    os.getpid(),
                    [*self.conns, mine],
                ),
            )
            p.start()
            theirs.close()
            self.conns.append(mine)
            self.procs.append(p)
        self.busy: set[int] = set()
        self.counts: dict[str, list[list[int]]] = {}  # [kind][from][to]: in the last blocks
        # (kind, from, to) -> (size, fd) of a new block, until its reader is told of it
        self.fresh: dict[tuple[str, int, int], tuple[int, int]] = {}

    def seed(self, blocks: list[Outgoing], covers: Sequence[int]) -> list[NewStates]:
        return self._news(self._ask([("seed", b, list(covers)) for b in blocks]))

    def expand(self, first: bool, upto: int, meanwhile: Callable[[], None]) -> list[LevelExpansion]:
        keys, handles = self._sources(KEYS)  # of the last receive: every expand follows one
        level: list[Sources | None] = [None] * self.parts
        if first:
            self.counts[LEVEL] = self._ask([("hand_off", k, upto) for k in keys], handles)
            keys = [None] * self.parts
            level, handles = self._sources(LEVEL)
        msgs = [("expand", k, s, upto) for k, s in zip(keys, level)]
        replies = self._ask(msgs, handles, meanwhile)
        self.counts[SUCCESSORS] = [counts for _, counts in replies]
        return [level for level, _ in replies]

    def receive(self, covers: Sequence[int]) -> list[NewStates]:
        sources, handles = self._sources(SUCCESSORS)
        return self._news(self._ask([("receive", list(covers), s) for s in sources], handles))

    def _news(self, replies: list[tuple[NewStates, list[int]]]) -> list[NewStates]:
        """The reports of a `receive`, whose keys the workers wrote for each other."""
        self.counts[KEYS] = [counts for _, counts in replies]
        return [new for new, _ in replies]

    def _sources(self, kind: str) -> tuple[list[Sources], list[list[int]]]:
        """For each worker j, what to read of the blocks of this kind sent to it: (source,
        count, size of a new block or None), and the descriptors of the new blocks."""
        sources, handles = [], []
        for j in range(self.parts):
            mine, fds = [], []
            for i in range(self.parts):
                if i == j:
                    continue
                size, fd = self.fresh.pop((kind, i, j), (None, None))
                mine.append((i, self.counts[kind][i][j], size))
                if fd is not None:
                    fds.append(fd)
            sources.append(mine)
            handles.append(fds)
        return sources, handles

    def generated_before(self, index: int) -> int:
        return sum(self._ask([("generated", index)] * self.parts))

    def stored(self) -> list[int]:
        return self._ask([("stored",)] * self.parts)

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs if p.pid is not None]

    def _ask(
        self,
        msgs: list[tuple],
        handles: list[list[int]] | None = None,
        meanwhile: Callable[[], None] | None = None,
    ) -> list:
        """Send msgs[i] to worker i (then the descriptors handles[i], closed here once
        sent), run `meanwhile`; the replies, in worker order."""
        try:
            for i, msg in enumerate(msgs):
                try:
                    self.conns[i].send(msg)
                    for fd in handles[i] if handles else ():
                        send_handle(self.conns[i], fd, 0)
                except OSError:
                    raise self._died(i) from None
                self.busy.add(i)
        finally:
            for fd in (fd for fds in handles or () for fd in fds):
                os.close(fd)
        if meanwhile is not None:
            meanwhile()
        replies: list = [None] * len(msgs)
        while self.busy:
            ready = wait([self.conns[i] for i in self.busy], timeout=POLL)
            if not ready:
                reason = self.poll()
                if reason:
                    raise Fault(reason)
            for conn in ready:
                i = self.conns.index(conn)
                self.busy.discard(i)  # whatever happens next, the reply is taken
                try:
                    msg = conn.recv()
                    if msg == OUT_OF_MEMORY:
                        raise MemoryError(msg)
                    replies[i], blocks = msg
                    for (kind, j), size in blocks:
                        self._forward(kind, i, j, size, recv_handle(conn))
                except (EOFError, OSError):
                    raise self._died(i) from None
        return replies

    def _forward(self, kind: str, i: int, j: int, size: int, fd: int) -> None:
        """Keep the descriptor of worker i's new block of this kind for j until j is told
        to read it."""
        old = self.fresh.pop((kind, i, j), None)
        if old is not None:
            os.close(old[1])
        self.fresh[(kind, i, j)] = (size, fd)

    def _died(self, i: int) -> Fault:
        """The fault of worker i, which has gone."""
        p = self.procs[i]
        p.join(timeout=5)
        how = f"signal {-p.exitcode}" if p.exitcode and p.exitcode < 0 else f"status {p.exitcode}"
        return Fault(f"worker {i + 1} died ({how})")

    def close(self) -> None:
        """End the workers: those idle are told to stop, those busy (the run stopped
        while they worked) killed."""
        for i, (conn, p) in enumerate(zip(self.conns, self.procs)):
            if i in self.busy:
                p.kill()
            else:
                with contextlib.suppress(OSError):
                    conn.send(None)
            conn.close()
        for p in self.procs:
            p.join(timeout=5)
            if p.is_alive():
                p.kill()
                p.join()
            p.close()  # its pipes
        self.procs.clear()
        self.busy.clear()
        for _, fd in self.fresh.values():
            os.close(fd)
        self.fresh.clear()
