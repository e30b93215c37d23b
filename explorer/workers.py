"""Worker processes for the vector back end: each level's chunks expanded in parallel.

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
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
from collections.abc import Iterator
from multiprocessing import resource_tracker
from multiprocessing.connection import Connection, wait
from multiprocessing.shared_memory import SharedMemory

import numpy as np

from explorer.vector import Cutter, Expanded, Level, VectorModel

NICE = 5
MIN_CHUNK = 4096  # states; smaller chunks cost more in per-call overhead than they balance


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _attach(name: str) -> SharedMemory:
    """Open a block another process created. Forked processes share one resource
    tracker, whose registry is a set: attaching registers nothing new, and the block is
    unregistered once, when its creator unlinks it."""
    return SharedMemory(name=name)


def _serve(vm: VectorModel, deadlock: bool, keep_words: bool, conn: Connection) -> None:
    """A worker's loop: expand the chunks it is sent until told to stop."""
    # the main process takes the chunks in, one at a time, and is the bottleneck: on a
    # machine with no core to spare, the workers yield the CPU to it
    with contextlib.suppress(OSError):
        os.nice(NICE)
    blocks: dict[str, SharedMemory] = {}  # "in": the chunk read, "out": results
    try:
        while (msg := conn.recv()) is not None:
            conn.send(_expand_chunk(vm, deadlock, keep_words, blocks, *msg))
    finally:
        for key, shm in blocks.items():
            shm.close()
            if key == "out":
                shm.unlink()


def _expand_chunk(vm: VectorModel, deadlock: bool, keep_words: bool,
                  blocks: dict[str, SharedMemory], name: str, nwords: int, n: int) -> tuple:
    """Expand the chunk of n states in block `name`; write the result into this worker's
    block: the distinct successors' words, fingerprints and orders as rows of m uint64s,
    then the n successor counts."""
    block = blocks.get("in")
    if block is None or block.name != name:
        if block is not None:
            block.close()
        block = blocks["in"] = _attach(name)
    ex = vm.expand(np.ndarray((nwords, n), np.uint64, block.buf), deadlock, keep_words)
    m = len(ex.fps)
    need = 8 * (m * (nwords + 2) + ex.n)
    out = blocks.get("out")
    if out is None or out.size < need:
        if out is not None:
            out.close()
            out.unlink()
        out = blocks["out"] = SharedMemory(create=True, size=max(2 * need, 1 << 16))
    rows = np.ndarray((nwords + 2, m), np.uint64, out.buf)
    rows[:nwords] = ex.words
    rows[nwords] = ex.fps
    rows[nwords + 1] = ex.order
    np.ndarray(ex.n, np.int64, out.buf, offset=rows.nbytes)[:] = ex.gen
    return out.name, m, ex.n, ex.err_row, ex.dl_row


class WorkerPool:
    """`n` forked workers; `chunks` is a drop-in for explorer.vector.local_chunks."""

    def __init__(self, vm: VectorModel, deadlock: bool, keep_words: bool, n: int) -> None:
        ctx = mp.get_context("fork")
        resource_tracker.ensure_running()  # before forking, so that all share it
        self.conns: list[Connection] = []
        self.procs = []
        for _ in range(n):
            mine, theirs = ctx.Pipe()
            p = ctx.Process(target=_serve, args=(vm, deadlock, keep_words, theirs), daemon=True)
            p.start()
            theirs.close()
            self.conns.append(mine)
            self.procs.append(p)
        self.inputs: dict[Connection, SharedMemory] = {}
        self.outs: dict[str, SharedMemory] = {}
        self.nwords = vm.layout.nwords
        self.busy: dict[Connection, tuple[int, int]] = {}  # worker -> (level id, c0)
        self.done: dict[tuple[int, int], Expanded] = {}
        self.ahead: Cutter | None = None  # the next level, cut while it grows
        self.level_id = 0

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._drain()
        for c in self.conns:
            with contextlib.suppress(BrokenPipeError, OSError):
                c.send(None)
        for p in self.procs:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()
        for shm in self.outs.values():
            shm.close()
        self.outs.clear()
        for shm in self.inputs.values():
            shm.close()
            shm.unlink()
        self.inputs.clear()

    def _drain(self) -> None:
        """Collect what is in flight (the search stopped early)."""
        for conn in list(self.busy):
            with contextlib.suppress(EOFError, OSError):
                conn.recv()
        self.busy.clear()
        self.done.clear()

    def _send(self, conn: Connection, level_id: int, c0: int, words: np.ndarray) -> None:
        need = max(words.nbytes, 8)
        shm = self.inputs.get(conn)
        if shm is None or shm.size < need:
            if shm is not None:
                shm.close()
                shm.unlink()
            shm = self.inputs[conn] = SharedMemory(create=True, size=2 * need)
        np.ndarray(words.shape, np.uint64, shm.buf)[:] = words
        conn.send((shm.name, self.nwords, words.shape[1]))
        self.busy[conn] = (level_id, c0)

    def _receive(self, conn: Connection) -> None:
        name, m, n, err_row, dl_row = conn.recv()
        shm = self.outs.get(name)
        if shm is None:
            shm = self.outs[name] = _attach(name)
        rows = np.ndarray((self.nwords + 2, m), np.uint64, shm.buf).copy()
        gen = np.ndarray(n, np.int64, shm.buf, offset=rows.nbytes).copy()
        ex = Expanded(n, rows[:self.nwords], rows[self.nwords],
                      rows[self.nwords + 1].astype(np.int64), gen, err_row, dl_row)
        self.done[self.busy.pop(conn)] = ex

    def chunks(self, vm: VectorModel, level: Level, nxt: list[np.ndarray], chunk: int,
               deadlock: bool, keep_words: bool) -> Iterator[tuple[int, Expanded]]:
        """Expanded chunks of `level`, in order, computed by the workers ahead of use;
        idle workers start on `nxt`, the next level, as it grows."""
        del vm, deadlock, keep_words  # the workers were forked with them
        n = len(self.conns)
        now = self.level_id
        cutter = self.ahead
        if cutter is None or cutter.pieces is not level.pieces:
            self._drain()  # nothing cut ahead is of this level
            cutter = Cutter(level.pieces, min(chunk, max(MIN_CHUNK, -(-level.size // (4 * n)))))
        # several chunks a worker, so that none waits long at the end of a level
        self.ahead = Cutter(nxt, min(chunk, max(MIN_CHUNK, -(-level.size // (4 * n)))))
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
