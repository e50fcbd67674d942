"""The local Dask cluster a sweep runs on: a process per worker, one thread each, on loopback
and random ports, with no HTTP server, and workers that leave Ctrl-C to the coordinator.

**No HTTP server.** ``LocalCluster(dashboard_address=None)`` still starts the scheduler's HTTP
server on port 8787: ``Scheduler.__init__`` calls ``start_http_server(routes,
dashboard_address, default_port=8787)`` whatever the arguments, ``None`` meaning the default
port, and ``dashboard=False`` only leaves out the Bokeh pages (dask/distributed#7207, #8136);
each worker starts one too, on a random port. Two sweeps at once then warn "Port 8787 is already
in use", as does anything else holding 8787. No setting turns the server off, so the scheduler
and the workers here override ``start_http_server`` to start none: a sweep needs no dashboard.

**Ctrl-C.** A terminal sends SIGINT to every process of the foreground group, workers included,
which then die mid-task with tracebacks and leak semaphores. Workers here start with SIGINT
blocked (:func:`spawning_uninterrupted`) and ignore it once up; the coordinator stops them. In
the coordinator, a KeyboardInterrupt raised at any point of Dask's code can leave one of its
locks held (an ``as_completed`` lock once hung a Ctrl-C'd sweep for good), so while Dask runs
Ctrl-C is only noted (:class:`InterruptsNoted`), and acted upon between chunks.

Imported only to run a sweep (Dask is heavy); worker processes import it for their class.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from multiprocessing import resource_tracker

from distributed import Nanny, Scheduler, SpecCluster, Worker

LOOPBACK = "127.0.0.1"
QUIET = logging.ERROR  # Dask's own log lines in this process: errors only
# and in the workers none: what goes wrong there comes back as the point's error row, and a
# worker closed mid-task (Ctrl-C) may log an error for a heartbeat that raced its closing
WORKER_QUIET = logging.CRITICAL


class QuietScheduler(Scheduler):
    """A scheduler without an HTTP server (its comm listener is on a random port)."""

    def start_http_server(self, *args, **kwargs) -> None:
        pass


class QuietWorker(Worker):
    """A worker process without an HTTP server or log lines, deaf to Ctrl-C (its coordinator
    closes it)."""

    def __init__(self, *args, **kwargs):
        logging.getLogger("distributed").setLevel(WORKER_QUIET)
        with suppress(ValueError):  # not the main thread (a threaded worker): nothing to do
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        super().__init__(*args, **kwargs)

    def start_http_server(self, *args, **kwargs) -> None:
        pass


def local_cluster(n_workers: int) -> SpecCluster:
    """What ``LocalCluster(n_workers, threads_per_worker=1, processes=True)`` starts, without
    HTTP servers, on loopback. Call it within :func:`spawning_uninterrupted`."""
    worker = {
        "cls": Nanny,
        "options": {
            "host": LOOPBACK,
            "nthreads": 1,
            "memory_limit": 1 / n_workers,  # a share of the memory each, as LocalCluster gives
            "dashboard": False,
            "silence_logs": QUIET,
            "worker_class": QuietWorker,
        },
    }
    scheduler = {
        "cls": QuietScheduler,
        "options": {"host": LOOPBACK, "port": 0, "dashboard": False},
    }
    return SpecCluster(
        workers=dict.fromkeys(range(n_workers), worker),
        scheduler=scheduler,
        worker=worker,
        silence_logs=QUIET,
    )


class InterruptsNoted:
    """Within the block, Ctrl-C (SIGINT) in the main thread sets a flag instead of raising
    KeyboardInterrupt; calling the object tells whether it did. Leaving the block restores the
    handler and, if Ctrl-C was noted and nothing else is raised, raises it as the restored
    handler would (KeyboardInterrupt, or noted by an enclosing block). Elsewhere than in the main
    thread, signals are not ours to handle: nothing is changed."""

    def __init__(self) -> None:
        self.noted = False
        self._handler = None

    def __call__(self) -> bool:
        return self.noted

    def __enter__(self) -> InterruptsNoted:
        if threading.current_thread() is threading.main_thread():
            self._handler = signal.getsignal(signal.SIGINT)  # None: not set from Python
            if self._handler is not None:
                signal.signal(signal.SIGINT, self._note)
        return self

    def _note(self, number, frame) -> None:
        self.noted = True

    def __exit__(self, kind, error, traceback) -> None:
        if self._handler is None:
            return
        signal.signal(signal.SIGINT, self._handler)
        if self.noted and kind is None:
            signal.raise_signal(signal.SIGINT)


@contextmanager
def spawning_uninterrupted() -> Iterator[None]:
    """Block SIGINT in this thread while worker processes are started: the threads started
    meanwhile (Dask's event loop, and from it the threads that spawn the workers) inherit the
    block, and so do the workers. Use within :class:`InterruptsNoted` (a SIGINT may still reach
    the process through a thread started earlier, a BLAS thread say). The multiprocessing
    resource tracker is started first: started later, from a spawning thread, it would unblock
    SIGINT there (bpo-33613)."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no signal masks
        yield
        return
    resource_tracker.ensure_running()
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
