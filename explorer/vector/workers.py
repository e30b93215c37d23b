"""Worker processes for the vector back end: each owns a partition of the visited set
(OwnerPool, an Owners transport of explorer.vector.partition, which states the rounds of
a level and what the engine relies on).

A worker holds a Partition (built at the fork, sharing the compiled model): its visited
set and its states of the current level. The main process only coordinates: per level
it tells every worker the global indices of its states and to expand them; each worker
writes the successors bound for worker j into its block for j (shared memory: words,
fingerprints and keys as rows of uint64s) and replies with their counts, its first
error and deadlock; the main process then tells each worker where to read, and each
takes in its successors, stores and checks the new ones and replies with their sorted
keys, which the main process merges (each worker expands the first chunk of its new
states meanwhile, Partition.prefetch). Successors move from worker to worker without
a copy through the main process; the main process gets 8 bytes per new state (its
key, over the pipe) and sends 8 back (its global index).

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
from mmcheck.explorer.vector.partition import LevelExpansion, NewStates, Outgoing, Partition

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


class _Owner:
    """A worker's side: its Partition, the blocks it writes successors into (by
    destination) and reads them from (by source), and its successors for itself."""

    def __init__(self, part: Partition, conn: Connection) -> None:
        self.part = part
        self.conn = conn
        self.nwords = part.vm.layout.nwords
        self.outs: dict[int, Block] = {}
        self.ins: dict[int, Block] = {}
        self.local: Outgoing | None = None

    def answer(self, msg: tuple) -> tuple[object, list[tuple[int, Block]]]:
        """The reply to a message of the main process, and the new blocks whose
        descriptors follow it, each with the worker it is for."""
        part = self.part
        if msg[0] == "seed":
            return part.receive([msg[1]], msg[2]), []
        if msg[0] == "expand":
            if msg[1] is not None:
                part.adopt(msg[1])
            return self.expand(msg[2])
        if msg[0] == "receive":
            return self.receive(msg[1], msg[2]), []
        if msg[0] == "generated":
            return part.generated_before(msg[1]), []
        assert msg[0] == "stored", msg
        return len(part), []

    def expand(
        self, upto: int | None
    ) -> tuple[tuple[LevelExpansion, list[int]], list[tuple[int, Block]]]:
        """Expand (up to global index `upto`), write the successors for each other worker
        into its block; reply with the report (without successors) and their counts by
        destination."""
        level = self.part.expand(upto)
        counts, fresh = [], []
        for j, out in enumerate(level.outgoing):
            counts.append(len(out))
            if j == self.part.index:
                self.local = out
                continue
            m = len(out)
            need = 8 * (self.nwords + 2) * m
            block = self.outs.get(j)
            if block is None or block.size < need:
                block = _replace(self.outs, j, max(2 * need, 1 << 16))
                fresh.append((j, block))
            rows = np.ndarray((self.nwords + 2, m), np.uint64, block.buf)
            rows[: self.nwords] = out.words
            rows[self.nwords] = out.fps
            rows[self.nwords + 1] = out.keys.view(np.uint64)
            del rows
        level.outgoing = []
        return (level, counts), fresh

    def receive(
        self, covers: Sequence[int], sources: list[tuple[int, int, int | None]]
    ) -> NewStates:
        """Take in the level's successors: this worker's own and, from each source, the
        count given in its block (a new one's descriptor follows the message)."""
        got = [] if self.local is None else [self.local]
        for i, m, size in sources:
            if size is not None:
                _replace(self.ins, i, size, recv_handle(self.conn))
            rows = np.ndarray((self.nwords + 2, m), np.uint64, self.ins[i].buf) if m else None
            if rows is not None:
                keys = rows[self.nwords + 1].view(np.int64)
                got.append(Outgoing(keys, rows[self.nwords], rows[: self.nwords]))
        self.local = None
        new = self.part.receive(got, covers)
        del got
        return new

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
            conn.send((reply, [(j, block.size) for j, block in blocks]))
            for _, block in blocks:
                block.send(conn)
            if msg[0] in ("seed", "receive"):  # while the main process merges the keys
                owner.part.prefetch()
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
        self.counts: list[list[int]] = []  # [from][to]: successors of the last expand
        self.fresh: dict[tuple[int, int], tuple[int, int]] = {}  # (from, to) -> (size, fd)

    def seed(self, blocks: list[Outgoing], covers: Sequence[int]) -> list[NewStates]:
        return self._ask([("seed", b, list(covers)) for b in blocks])

    def expand(self, adopt: list[np.ndarray] | None, upto: int | None) -> list[LevelExpansion]:
        replies = self._ask([("expand", a, upto) for a in adopt or [None] * self.parts])
        self.counts = [counts for _, counts in replies]
        return [level for level, _ in replies]

    def receive(self, covers: Sequence[int]) -> list[NewStates]:
        msgs, handles = [], []
        for j in range(self.parts):
            sources, fds = [], []
            for i in range(self.parts):
                if i == j:
                    continue
                size, fd = self.fresh.pop((i, j), (None, None))
                sources.append((i, self.counts[i][j], size))
                if fd is not None:
                    fds.append(fd)
            msgs.append(("receive", list(covers), sources))
            handles.append(fds)
        return self._ask(msgs, handles)

    def generated_before(self, index: int) -> int:
        return sum(self._ask([("generated", index)] * self.parts))

    def stored(self) -> list[int]:
        return self._ask([("stored",)] * self.parts)

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs if p.pid is not None]

    def _ask(self, msgs: list[tuple], handles: list[list[int]] | None = None) -> list:
        """Send msgs[i] to worker i (then the descriptors handles[i], closed here once
        sent); the replies, in worker order."""
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
                    for j, size in blocks:
                        self._forward(i, j, size, recv_handle(conn))
                except (EOFError, OSError):
                    raise self._died(i) from None
        return replies

    def _forward(self, i: int, j: int, size: int, fd: int) -> None:
        """Keep the descriptor of worker i's new block for j until j is told to read it."""
        old = self.fresh.pop((i, j), None)
        if old is not None:
            os.close(old[1])
        self.fresh[(i, j)] = (size, fd)

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
