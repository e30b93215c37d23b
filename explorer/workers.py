"""Worker processes for the vector back end: each level's chunks expanded in parallel.

The level being expanded is copied once into a shared-memory block; a worker is told
only which chunk to expand (a few integers over a pipe), applies every action instance
to it, deduplicates the successors among themselves and writes them (packed words,
fingerprints, discovery orders) into its own shared-memory block. The main process
takes the chunks back in level order, so the visited set, the invariants (checked on
the new states only), parent links and the choice of the violation reported are exactly
those of one process; while it takes in a chunk, the workers are already expanding the
next ones.

Workers are forked after the model is compiled, so they share its compiled actions
without pickling anything.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
from collections.abc import Iterator
from multiprocessing import resource_tracker
from multiprocessing.connection import Connection
from multiprocessing.shared_memory import SharedMemory

import numpy as np

from explorer.vector import Expanded, Level, VectorModel

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
    blocks: dict[str, SharedMemory] = {}  # "level": the level read, "out": results
    try:
        while (msg := conn.recv()) is not None:
            conn.send(_expand_chunk(vm, deadlock, keep_words, blocks, *msg))
    finally:
        for key, shm in blocks.items():
            shm.close()
            if key == "out":
                shm.unlink()


def _expand_chunk(vm: VectorModel, deadlock: bool, keep_words: bool,
                  blocks: dict[str, SharedMemory], name: str, nwords: int, size: int,
                  c0: int, c1: int) -> tuple:
    """Expand one chunk; write the result into this worker's block: the distinct
    successors' words, fingerprints and orders as rows of m uint64s, then the n
    successor counts."""
    level = blocks.get("level")
    if level is None or level.name != name:
        if level is not None:
            level.close()
        level = blocks["level"] = _attach(name)
    ex = vm.expand(np.ndarray((nwords, size), np.uint64, level.buf)[:, c0:c1], deadlock,
                   keep_words)
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
        self.level: SharedMemory | None = None
        self.outs: dict[str, SharedMemory] = {}

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
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
        self._drop_level()

    def _drop_level(self) -> None:
        if self.level is not None:
            self.level.close()
            self.level.unlink()
            self.level = None

    def _result(self, conn: Connection, nwords: int) -> Expanded:
        name, m, n, err_row, dl_row = conn.recv()
        shm = self.outs.get(name)
        if shm is None:
            shm = self.outs[name] = _attach(name)
        rows = np.ndarray((nwords + 2, m), np.uint64, shm.buf).copy()
        gen = np.ndarray(n, np.int64, shm.buf, offset=rows.nbytes).copy()
        return Expanded(n, rows[:nwords], rows[nwords], rows[nwords + 1].astype(np.int64),
                        gen, err_row, dl_row)

    def chunks(self, vm: VectorModel, level: Level, chunk: int, deadlock: bool,
               keep_words: bool) -> Iterator[tuple[int, Expanded]]:
        """Expanded chunks of `level`, in order, computed by the workers ahead of use."""
        del deadlock, keep_words  # the workers were forked with them
        nwords, size = vm.layout.nwords, level.size
        # several chunks a worker, so that none waits long at the end of a level
        chunk = min(chunk, max(MIN_CHUNK, -(-size // (4 * len(self.conns)))))
        self._drop_level()
        self.level = SharedMemory(create=True, size=max(8 * nwords * size, 8))
        block = np.ndarray((nwords, size), np.uint64, self.level.buf)
        at = 0
        for words in level.chunks(chunk):
            block[:, at:at + words.shape[1]] = words
            at += words.shape[1]
        del block
        starts = list(range(0, size, chunk))
        busy: list[tuple[int, Connection]] = []  # (c0, worker) in chunk order
        nxt = 0
        try:
            for conn in self.conns:
                if nxt < len(starts):
                    self._send(conn, nwords, size, starts[nxt], chunk)
                    busy.append((starts[nxt], conn))
                    nxt += 1
            while busy:
                c0, conn = busy.pop(0)
                ex = self._result(conn, nwords)
                if nxt < len(starts):
                    self._send(conn, nwords, size, starts[nxt], chunk)
                    busy.append((starts[nxt], conn))
                    nxt += 1
                yield c0, ex
        finally:
            for _, conn in busy:  # the search stopped early: collect what is in flight
                conn.recv()

    def _send(self, conn: Connection, nwords: int, size: int, c0: int, chunk: int) -> None:
        assert self.level is not None
        conn.send((self.level.name, nwords, size, c0, min(c0 + chunk, size)))
