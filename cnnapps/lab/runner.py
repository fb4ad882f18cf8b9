"""Background lab jobs for an interactive front end (the page), without Streamlit.

A :class:`LabJob` trains one or more configs (one run, or the tour's sequence) in its own daemon
thread, with one intra-op thread, and
publishes a :class:`JobStatus` snapshot that a poller reads. Stopping sets an event that the
training loop checks after every batch, so a stop takes effect within one batch.

Work is bounded process-wide: at most ``$CNNAPPS_LAB_MAX_RUNS`` (default 2) jobs train at once;
:func:`start_job` past that raises :class:`LabBusy` (a polite refusal, nothing queued). A job
whose poller has gone quiet for ``orphan_after`` seconds (the browser tab was closed, the session
ended) stops itself, so an abandoned session does not keep a CPU busy. When a job ends it drops
the model, optimiser and data; only the finished :class:`LabRun` objects (CPU weights) remain.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch

from cnnapps.errors import CnnappsError
from cnnapps.lab.config import LabConfig
from cnnapps.lab.data import LabData, load_dataset
from cnnapps.lab.trainer import LabRun, train_lab
from cnnapps.training.callbacks import Callback, FitState

__all__ = ["JobStatus", "LabBusy", "LabJob", "active_jobs", "max_concurrent_runs", "start_job"]

_log = logging.getLogger("cnnapps.lab")


def max_concurrent_runs() -> int:
    return max(1, int(os.environ.get("CNNAPPS_LAB_MAX_RUNS", "2")))


_SLOTS = threading.BoundedSemaphore(max_concurrent_runs())
_ACTIVE: set[LabJob] = set()
_ACTIVE_LOCK = threading.Lock()


# torch.set_num_threads in a worker thread also changes the default that threads created later
# inherit (libgomp's global ICV; checked with torch 2.14), so other sessions' script threads would
# keep 1 thread after a lab run. The first job to start saves the setting, the last to end puts
# it back. While a job runs, threads started meanwhile get 1 intra-op thread (documented).
_THREADS_LOCK = threading.Lock()
_THREADS_USERS = 0
_THREADS_SAVED = 0


def _enter_single_thread() -> None:
    global _THREADS_USERS, _THREADS_SAVED
    with _THREADS_LOCK:
        if _THREADS_USERS == 0:
            _THREADS_SAVED = torch.get_num_threads()
        _THREADS_USERS += 1
        torch.set_num_threads(1)


def _leave_single_thread() -> None:
    global _THREADS_USERS
    with _THREADS_LOCK:
        _THREADS_USERS -= 1
        if _THREADS_USERS == 0:
            torch.set_num_threads(_THREADS_SAVED)


def active_jobs() -> int:
    with _ACTIVE_LOCK:
        return len(_ACTIVE)


class LabBusy(CnnappsError, RuntimeError):
    """Too many lab runs are training on this server right now; try again in a moment."""


@dataclass(frozen=True)
class JobStatus:
    """A consistent snapshot of a job, safe to read from another thread."""

    names: tuple[str, ...]  # one per config (the tour's step names; "run" for a single run)
    index: int  # config being trained (0-based); len(names) when all are done
    fraction: float  # overall progress in [0, 1]
    message: str
    live: tuple[dict[str, float], ...]  # epochs finished so far of the config being trained
    finished: tuple[LabRun, ...]  # runs done, in order
    done: bool
    stopped: bool  # the user (or the orphan timeout) stopped it
    error: str | None = None  # a CnnappsError's message, or a bug's one-line description
    seconds: float = 0.0


@dataclass(eq=False)
class LabJob:
    configs: tuple[LabConfig, ...]
    names: tuple[str, ...]
    device: torch.device
    data_path: Path | None = None
    orphan_after: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _index: int = 0
    _fraction: float = 0.0
    _message: str = "starting"
    _live: list[dict[str, float]] = field(default_factory=list)
    _finished: list[LabRun] = field(default_factory=list)
    _done: bool = False
    _error: str | None = None
    _started: float = field(default_factory=time.monotonic)
    _last_seen: float = field(default_factory=time.monotonic)

    # --- called from the poller (any thread) ---
    def status(self) -> JobStatus:
        with self._lock:
            self._last_seen = time.monotonic()
            return JobStatus(self.names, self._index, self._fraction, self._message, tuple(dict(r) for r in self._live),
                             tuple(self._finished), self._done, self._stop.is_set(), self._error,
                             time.monotonic() - self._started)

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
        return self._done

    # --- the worker ---
    def _should_stop(self) -> bool:
        if self._stop.is_set():
            return True
        if self.orphan_after is not None and time.monotonic() - self._last_seen > self.orphan_after:
            _log.info("lab job not polled for %.0f s: stopping it (session gone?)", self.orphan_after)
            self._stop.set()
            return True
        return False

    def _work(self) -> None:
        _enter_single_thread()  # one intra-op thread per run: bounded work
        data: LabData | None = None
        key = None
        try:
            for i, config in enumerate(self.configs):
                if self._should_stop():
                    break
                with self._lock:
                    self._index, self._live = i, []
                    self._message = f"{self.names[i]}: loading data"
                wanted = (config.dataset, config.train_size, config.val_size, config.seed)
                if wanted != key:  # the tour's steps share one split
                    data = load_dataset(config.dataset, train_size=config.train_size, val_size=config.val_size,
                                        seed=config.seed, path=self.data_path)
                    key = wanted
                run = train_lab(config, device=self.device, data=data, callbacks=[_Reporter(self, i)])
                with self._lock:
                    self._finished.append(run)
                    self._live = []
        except CnnappsError as err:
            self._error = str(err)
        except Exception as err:  # a bug: keep the server alive, say what happened, log the traceback
            _log.exception("lab job failed")
            self._error = f"Unexpected error ({type(err).__name__}: {err}); details are in the server log."
        finally:
            data = None
            with self._lock:
                self._done = True
                self._index = len(self._finished)
                if not self._stop.is_set() and self._error is None:
                    self._fraction = 1.0
                self._message = ("stopped" if self._stop.is_set() else "failed" if self._error else "finished")
            _leave_single_thread()
            with _ACTIVE_LOCK:
                _ACTIVE.discard(self)
            _SLOTS.release()


class _Reporter(Callback):
    def __init__(self, job: LabJob, index: int) -> None:
        self.job, self.index = job, index

    def _set(self, state: FitState, message: str) -> None:
        n = len(self.job.configs)
        inner = ((state.epoch - 1) * max(1, state.steps) + state.step) / max(1, state.epochs * max(1, state.steps))
        with self.job._lock:
            self.job._fraction = min(1.0, (self.index + inner) / n)
            self.job._message = message

    def on_batch_end(self, state: FitState, loss: float) -> None:
        if self.job._should_stop():
            state.stop = True
        if state.step % 5 == 0 or state.step == state.steps:
            self._set(state, f"{self.job.names[self.index]}: epoch {state.epoch}/{state.epochs}, "
                             f"batch {state.step}/{state.steps}, loss {loss:.3f}")

    def on_epoch_end(self, state: FitState) -> None:
        m = state.metrics
        with self.job._lock:
            self.job._live.append(dict(m))
        self._set(state, f"{self.job.names[self.index]}: epoch {state.epoch}/{state.epochs}: train acc "
                         f"{m['train_accuracy']:.1f} %, val acc {m['val_accuracy']:.1f} %")
        if self.job._should_stop():
            state.stop = True


def start_job(configs: Sequence[LabConfig], *, device: torch.device | str, names: Sequence[str] | None = None,
              data_path: Path | None = None, orphan_after: float | None = None) -> LabJob:
    """Start training ``configs`` one after another in a background thread.

    Raises:
        LabBusy: the server already trains ``max_concurrent_runs()`` jobs.
    """
    if not configs:
        raise ValueError("start_job needs at least one config")
    if not _SLOTS.acquire(blocking=False):
        raise LabBusy(f"The lab is busy: {max_concurrent_runs()} training runs are going on this server "
                      "right now (each gets its own CPU share). Please try again in a minute.")
    job = LabJob(tuple(configs), tuple(names or ["run"] * len(configs)), torch.device(device),
                 data_path=data_path, orphan_after=orphan_after)
    with _ACTIVE_LOCK:
        _ACTIVE.add(job)
    job._thread = threading.Thread(target=job._work, name="cnnapps-lab", daemon=True)
    try:
        job._thread.start()
    except BaseException:
        with _ACTIVE_LOCK:
            _ACTIVE.discard(job)
        _SLOTS.release()
        raise
    return job
