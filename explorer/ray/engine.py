"""The Ray back end's run: join or start a Ray session, start the owner actors
(explorer.ray.owners), and have the vector engine search with them as its owners, so
that what it reports is what the vector back end reports with one process: the same
verdict, counts and trace.

Sessions: with `ray_address` the run joins that cluster (and only disconnects at the
end); without it, a process that is already connected (ray.init, as the tests do) runs
on that session, and any other starts a local one (`ray.init(address="local")`, never a
cluster it would find running) and shuts it down at the end, stopping every process it
started, however the run ends. `ray.init` installs handlers of its own for SIGINT and
SIGTERM: the ones the search set (explorer.core.limits) are put back, so a signal stops
the run cleanly (INCOMPLETE) and then Ray is shut down.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Iterable
from contextlib import closing

import ray

from mmcheck.explorer.core.limits import Fault, Limits
from mmcheck.explorer.core.model import State
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.result import INCOMPLETE, Result
from mmcheck.explorer.ray.owners import RayOwners
from mmcheck.explorer.tuple.bfs import make_search
from mmcheck.explorer.vector.engine import VectorBFS
from mmcheck.spec import ir
from mmcheck.spec.errors import UsageError

PROBE_TIMEOUT = 10.0  # seconds for the head node to accept a connection


def connect(address: str | None) -> bool:
    """Join the cluster at `address`, or the session this process has, or start a local
    one; whether this run started the connection (and so must shut it down)."""
    if ray.is_initialized():
        return False
    if address is not None:
        reachable(address)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no report to send from here
    main = threading.current_thread() is threading.main_thread()
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)} if main else {}
    try:
        ray.init(
            address=address or "local",
            include_dashboard=False,
            logging_level=logging.ERROR,
            log_to_driver=False,
        )
    except ConnectionError as e:
        raise UsageError(f"cannot join the Ray cluster at {address}: {e}") from None
    finally:
        for s, h in handlers.items():
            signal.signal(s, h)
    return True


def reachable(address: str) -> None:
    """A UsageError if nothing answers at a HOST:PORT address (Ray itself retries for
    minutes); other forms ("auto", "ray://...") are left to Ray."""
    host, _, port = address.rpartition(":")
    if "://" in address or not host or not port.isdigit():
        return
    try:
        socket.create_connection((host, int(port)), timeout=PROBE_TIMEOUT).close()
    except OSError as e:
        raise UsageError(
            f"cannot join the Ray cluster at {address}: {e.strerror or e} "
            "(is `ray start --head` running there?)"
        ) from None


def cluster_cpus() -> int:
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def check(
    program: ir.Program,
    options: CheckOptions,
    limits: Limits,
    initial: Iterable[State] | None = None,
) -> Result:
    """explorer.check for backend="ray" on a loaded program, once the registry's entry
    (ray.backend) has refused what this back end does not do."""
    search = make_search(program, options, limits)
    run = VectorBFS.of(search, options, initial)
    started = connect(options.ray_address)
    try:
        parts = options.workers or cluster_cpus()
        search.stats.workers = parts
        try:
            owners = RayOwners(
                program,
                options,
                parts,
                run.keep_words,
                run.chunk,
                lambda: limits.poll(search.stats),
                search.stats,
                keep=not started,
            )
        except Fault as e:  # a signal, or an actor lost, while the actors start
            return search.result(INCOMPLETE, None, str(e))
        with closing(owners):
            limits.restart()  # the search starts once every actor has compiled the spec
            return run.run_owners(owners)
    finally:
        if started:
            ray.shutdown()
