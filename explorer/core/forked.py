"""Forked helper processes (the vector back end's workers, `mmcheck test -j`'s): each
ends with the process that forked it, however that one ends."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
from collections.abc import Iterable
from multiprocessing.connection import Connection

PR_SET_PDEATHSIG = 1


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity where the system says it)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def die_with_parent(parent: int, inherited: Iterable[Connection]) -> None:
    """Called first in a freshly forked child of `parent`: the kernel kills it when its
    parent dies (PR_SET_PDEATHSIG, Linux), and the parent's ends of the other children's
    pipes, copied by the fork, are closed (while any process holds one, that child would
    not see the end of file when the parent dies)."""
    for c in inherited:
        c.close()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the call above
        os._exit(1)
