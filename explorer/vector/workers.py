"""Worker processes for the vector back end: each level's chunks expanded in parallel
(WorkerPool, an Expander: explorer.vector.expander states what the engine relies on).

A worker is handed one chunk at a time: the main process copies the chunk's packed
states into that worker's input block (shared memory) and sends its size over a pipe;
the worker applies every action instance, deduplicates the successors among themselves
and writes them (packed words, fingerprints, discovery orders) into its own output
block. The main process takes the chunks back in level order, so the visited set, the
invariants (checked on the new states only), parent links and the choice of the
violation reported are exactly those of one process.

The workers do not wait for the end of a level: the next level is cut into chunks as
its states are stored, in their final order, and a worker with nothing left of the
current level expands the first chunks of the next one. Their results wait until the
main process gets there (and are dropped if the search stops first).

Workers are forked after the model is compiled, so they share its compiled actions
without pickling anything.

Faults end the run, never hang it nor outlive it. The blocks are memfds (an unlinked
temporary file where there is none) handed over by file descriptor: they have no name,
and the kernel frees each once no process of the run maps it, however the run ends. A
worker that dies (killed by a signal, a crash) closes its pipe: the main process reads
the end of file and stops, INCOMPLETE, "worker N died (signal S)"; a worker that gets a
MemoryError says so and the search stops, INCOMPLETE, "out of memory". A worker dies
with the main process:
the kernel kills it (PR_SET_PDEATHSIG, Linux), and, failing that, it sees the end of file
on its pipe, or its parent change while it waits.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import mmap
import multiprocessing as mp
import os
import signal
import tempfile
from collections.abc import Iterator
from multiprocessing.connection import Connection, wait
from multiprocessing.reduction import recv_handle, send_handle

import numpy as np

from mmcheck.explorer.core.limits import OUT_OF_MEMORY, Fault
from mmcheck.explorer.vector.level import Cutter, Expanded, Level
from mmcheck.explorer.vector.model import VectorModel

NICE = 5
MIN_CHUNK = 4096  # states; smaller chunks cost more in per-call overhead than they balance
ORPHAN_POLL = 1.0  # seconds between two looks at its parent by a waiting worker
PR_SET_PDEATHSIG = 1


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


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
    # the main process's ends of the pipes, copied by fork: while any process holds
    # one, its worker would not see the end of file when the main process dies
    for c in inherited:
        c.close()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the call above
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the group: the parent stops us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # the main process takes the chunks in, one at a time, and is the bottleneck: on a
    # machine with no core to spare, the workers yield the CPU to it
    with contextlib.suppress(OSError):
        os.nice(NICE)


def _serve(
    vm: VectorModel,
    deadlock: bool,
    keep_words: bool,
    conn: Connection,
    parent: int,
    inherited: list[Connection],
) -> None:
    """A worker's loop: expand the chunks it is sent until told to stop."""
    _orphan_proof(parent, inherited)
    blocks: dict[str, Block] = {}  # "in": the chunk read, "out": results
    try:
        while True:
            while not conn.poll(ORPHAN_POLL):
                if os.getppid() != parent:
                    return
            msg = conn.recv()
            if msg is None:
                return
            nwords, n, size = msg
            try:
                if size is not None:
                    _replace(blocks, "in", size, recv_handle(conn))
                reply = _expand_chunk(vm, deadlock, keep_words, blocks, nwords, n)
            except MemoryError:
                conn.send(OUT_OF_MEMORY)
                continue
            conn.send(reply)
            if reply[-1] is not None:
                blocks["out"].send(conn)
    except (EOFError, OSError):  # the main process is gone
        return
    finally:
        for block in blocks.values():
            block.close()


def _replace(blocks: dict, key: object, size: int, fd: int | None = None) -> Block:
    """A new block of `size` bytes (mapping `fd`, if given) in place of blocks[key]."""
    old = blocks.pop(key, None)
    if old is not None:
        old.close()
    block = blocks[key] = Block(size, fd)
    return block


def _expand_chunk(
    vm: VectorModel, deadlock: bool, keep_words: bool, blocks: dict[str, Block], nwords: int, n: int
) -> tuple:
    """Expand the chunk of n states in the "in" block; write the result into this
    worker's "out" block: the distinct successors' words, fingerprints and orders as rows
    of m uint64s, then the n successor counts. The reply ends with the size of a new
    "out" block, sent after it (None: the same block)."""
    ex = vm.expand(np.ndarray((nwords, n), np.uint64, blocks["in"].buf), deadlock, keep_words)
    m = len(ex.fps)
    need = 8 * (m * (nwords + 2) + ex.n)
    out = blocks.get("out")
    size = None
    if out is None or out.size < need:
        size = max(2 * need, 1 << 16)
        out = _replace(blocks, "out", size)
    rows = np.ndarray((nwords + 2, m), np.uint64, out.buf)
    rows[:nwords] = ex.words
    rows[nwords] = ex.fps
    rows[nwords + 1] = ex.order
    np.ndarray(ex.n, np.int64, out.buf, offset=rows.nbytes)[:] = ex.gen
    del rows
    return m, ex.n, ex.err_row, ex.dl_row, size


class WorkerPool:
    """`n` forked workers, an Expander (explorer.vector.expander): chunks of at most
    `chunk` states."""

    def __init__(
        self, vm: VectorModel, deadlock: bool, keep_words: bool, n: int, chunk: int
    ) -> None:
        ctx = mp.get_context("fork")
        self.conns: list[Connection] = []
        self.procs = []
        for _ in range(n):
            mine, theirs = ctx.Pipe()
            p = ctx.Process(
                target=_serve,
                daemon=True,
                args=(vm, deadlock, keep_words, theirs, os.getpid(), [*self.conns, mine]),
            )
            p.start()
            theirs.close()
            self.conns.append(mine)
            self.procs.append(p)
        self.inputs: dict[Connection, Block] = {}
        self.outs: dict[Connection, Block] = {}
        self.nwords = vm.layout.nwords
        self.chunk = chunk
        self.busy: dict[Connection, tuple[int, int]] = {}  # worker -> (level id, c0)
        self.done: dict[tuple[int, int], Expanded] = {}
        self.ahead: Cutter | None = None  # the next level, cut while it grows
        self.level_id = 0

    def close(self) -> None:
        self._drain()
        for c in self.conns:
            with contextlib.suppress(OSError):
                c.send(None)
            c.close()
        for p in self.procs:
            p.join(timeout=5)
            if p.is_alive():
                p.kill()
                p.join()
        for block in [*self.outs.values(), *self.inputs.values()]:
            block.close()
        self.outs.clear()
        self.inputs.clear()

    def _drain(self) -> None:
        """Wait for what is in flight and drop it (the search stopped early, or moved
        to a level not cut ahead). A worker found dead here is found again when sent
        its next chunk."""
        for conn in list(self.busy):
            with contextlib.suppress(Fault, MemoryError):
                self._take(conn)
        self.busy.clear()
        self.done.clear()

    def _died(self, conn: Connection) -> Fault:
        """The fault of the worker at the other end of `conn`, which has gone."""
        i = self.conns.index(conn)
        p = self.procs[i]
        p.join(timeout=5)
        how = f"signal {-p.exitcode}" if p.exitcode and p.exitcode < 0 else f"status {p.exitcode}"
        return Fault(f"worker {i + 1} died ({how})")

    def _send(self, conn: Connection, level_id: int, c0: int, words: np.ndarray) -> None:
        need = max(words.nbytes, 8)
        block = self.inputs.get(conn)
        fresh = block is None or block.size < need
        if fresh:
            block = _replace(self.inputs, conn, 2 * need)
        np.ndarray(words.shape, np.uint64, block.buf)[:] = words
        try:
            conn.send((self.nwords, words.shape[1], block.size if fresh else None))
            if fresh:
                block.send(conn)
        except OSError:
            raise self._died(conn) from None
        self.busy[conn] = (level_id, c0)

    def _take(self, conn: Connection) -> tuple[tuple[int, int], tuple[int, int, int, int]]:
        """The chunk a busy worker was given, (level id, c0), and its reply, (m, n,
        err_row, dl_row) with the result in self.outs[conn]."""
        chunk = self.busy.pop(conn)  # whatever happens next, the reply is taken
        try:
            msg = conn.recv()
            if msg == OUT_OF_MEMORY:
                raise MemoryError(msg)
            *reply, size = msg
            if size is not None:
                _replace(self.outs, conn, size, recv_handle(conn))
        except (EOFError, OSError):
            raise self._died(conn) from None
        return chunk, tuple(reply)

    def _receive(self, conn: Connection) -> None:
        chunk, (m, n, err_row, dl_row) = self._take(conn)
        buf = self.outs[conn].buf
        rows = np.ndarray((self.nwords + 2, m), np.uint64, buf).copy()
        gen = np.ndarray(n, np.int64, buf, offset=rows.nbytes).copy()
        ex = Expanded(
            n,
            rows[: self.nwords],
            rows[self.nwords],
            rows[self.nwords + 1].astype(np.int64),
            gen,
            err_row,
            dl_row,
        )
        self.done[chunk] = ex

    def expand(self, level: Level, nxt: Level) -> Iterator[tuple[int, Expanded]]:
        """Expanded chunks of `level`, in order, computed by the workers ahead of use;
        idle workers start on `nxt`, the next level, as it grows."""
        n, chunk = len(self.conns), self.chunk
        now = self.level_id
        cutter = self.ahead
        if cutter is None or cutter.pieces is not level.pieces:
            self._drain()  # nothing cut ahead is of this level
            cutter = Cutter(level.pieces, min(chunk, max(MIN_CHUNK, -(-level.size // (4 * n)))))
        # several chunks a worker, so that none waits long at the end of a level
        self.ahead = Cutter(nxt.pieces, min(chunk, max(MIN_CHUNK, -(-level.size // (4 * n)))))
        self.level_id += 1
        want = 0  # c0 of the next chunk to yield
        try:
            while want < level.size:
                for conn in self.conns:
                    if conn in self.busy:
                        continue
                    job = cutter.take(True)
                    if job is not None:
                        self._send(conn, now, *job)
                        continue
                    job = self.ahead.take(False)
                    if job is not None:
                        self._send(conn, now + 1, *job)
                ex = self.done.pop((now, want), None)
                if ex is None:
                    assert self.busy, "the chunk awaited was never handed out"
                    for conn in wait(list(self.busy)):
                        self._receive(conn)
                    continue
                yield want, ex
                want += ex.n
        finally:
            if want < level.size:  # the search stopped: nothing ahead is needed
                self._drain()
                self.ahead = None
