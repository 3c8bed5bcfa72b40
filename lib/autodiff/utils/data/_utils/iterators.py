"""The iterators a DataLoader returns: one that does all the work in the main process, and one
that hands the fetching and collating to worker processes.

Worker protocol: the main process sends each worker ``(task id, indices)`` through the worker's
own index queue, workers put ``(task id, batch)`` on one shared result queue, and the main
process hands batches out in task order (buffering those that arrive early).
"""
from __future__ import annotations

import itertools
import pickle
import queue
import sys
import time
import types
import warnings

from ..sampler import _new_seed
from .fetch import create_fetcher
from .worker import ExceptionWrapper, _IterableDatasetStopIteration, _ResumeIteration, _worker_loop

_POLL_INTERVAL = 0.5          # seconds between checks that the workers are alive
_JOIN_TIMEOUT = 5.0           # seconds a worker gets to exit before it is terminated


class _NullFile:
    def write(self, data):
        return len(data)


class _MainModuleFinder(pickle.Pickler):
    """A pickler that notes classes and functions defined in ``__main__``."""
    uses_main = False

    def reducer_override(self, obj):
        if isinstance(obj, (type, types.FunctionType)) and obj.__module__ == "__main__":
            self.uses_main = True
        return NotImplemented


def unpicklable_for_workers(loader, context):
    """Why a worker started by ``context`` could not rebuild the loader's objects, or None.

    With 'fork' a worker inherits them. With 'spawn'/'forkserver' they are pickled, and classes
    from an interactive ``__main__`` (a notebook) cannot be found again in the new process."""
    if context.get_start_method() == "fork":
        return None
    finder = _MainModuleFinder(_NullFile())
    try:
        finder.dump((loader.dataset, loader.collate_fn, loader.worker_init_fn))
    except Exception as e:
        return f"{type(e).__name__}: {e}"
    if finder.uses_main and not hasattr(sys.modules["__main__"], "__file__"):
        return "they are defined in an interactive session"
    return None


class _BaseDataLoaderIter:
    def __init__(self, loader):
        self._dataset = loader.dataset
        self._is_iterable = loader._is_iterable
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._timeout = loader.timeout
        self._collate_fn = loader.collate_fn
        self._persistent_workers = loader.persistent_workers
        self._base_seed = _new_seed(loader.generator)
        self._reset(loader)

    def _reset(self, loader):
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._IterableDataset_len_called = loader._IterableDataset_len_called

    def __iter__(self):
        return self

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        reported = self._IterableDataset_len_called
        if self._is_iterable and reported is not None and self._num_yielded > reported:
            warnings.warn(f"Length of IterableDataset {self._dataset} was reported to be "
                          f"{reported}(when accessing len(dataloader)), but "
                          f"{self._num_yielded} samples have been fetched. ", stacklevel=2)
        return data

    def __len__(self):
        return len(self._index_sampler)

    def __getstate__(self):
        raise NotImplementedError(f"{type(self).__name__} cannot be pickled")


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    """Everything in the main process: next index, fetch, collate."""

    def _reset(self, loader):
        super()._reset(loader)
        self._fetcher = create_fetcher(self._is_iterable, self._dataset, self._auto_collation,
                                       self._collate_fn, self._drop_last)

    def _next_data(self):
        return self._fetcher.fetch(next(self._sampler_iter))


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    """Batches made by ``num_workers`` worker processes, returned in sampler order.

    ``_task_info[idx]`` is ``(worker,)`` while task ``idx`` is out and ``(worker, batch)`` once
    its batch arrived early; ``_rcvd_idx`` is the next task to hand out. Each worker has at most
    ``prefetch_factor`` tasks queued ahead."""

    def __init__(self, loader, context):
        self._prefetch_factor = loader.prefetch_factor
        self._in_order = loader.in_order
        self._shutdown = True                   # until the workers exist
        super().__init__(loader)
        self._result_queue = context.Queue()
        self._done_event = context.Event()
        self._index_queues, self._workers = [], []
        for worker_id in range(self._num_workers):
            index_queue = context.Queue()
            index_queue.cancel_join_thread()
            worker = context.Process(
                target=_worker_loop, daemon=True,
                args=(self._is_iterable, self._dataset, index_queue, self._result_queue,
                      self._done_event, self._auto_collation, self._collate_fn, self._drop_last,
                      self._base_seed, loader.worker_init_fn, worker_id, self._num_workers))
            worker.start()
            self._index_queues.append(index_queue)
            self._workers.append(worker)
        self._shutdown = False
        self._start_epoch(first=True)

    def _reset(self, loader):
        super()._reset(loader)
        if not self._shutdown:                  # persistent workers: a new epoch
            self._start_epoch(first=False)

    def _start_epoch(self, first):
        self._send_idx = self._rcvd_idx = 0
        self._task_info = {}
        self._workers_status = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if not first:
            for index_queue in self._index_queues:
                index_queue.put(_ResumeIteration())
            waiting = self._num_workers
            while waiting:                      # drop what is left of the previous epoch
                if isinstance(self._get_data()[0], _ResumeIteration):
                    waiting -= 1
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _try_put_index(self):
        """Send the next indices to the next worker still running (if any are left)."""
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._worker_cycle)
            if self._workers_status[worker_id]:
                break
        else:
            return
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._send_idx += 1

    def _get_data(self):
        """The next ``(task id, batch)`` from any worker; fails if a worker died or on timeout."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = _POLL_INTERVAL if deadline is None else \
                max(0.0, min(_POLL_INTERVAL, deadline - time.monotonic()))
            try:
                return self._result_queue.get(timeout=wait)
            except queue.Empty:
                dead = [str(w.pid) for w, active in zip(self._workers, self._workers_status)
                        if active and not w.is_alive()]
                if dead:
                    self._shutdown_workers()
                    raise RuntimeError(f"DataLoader worker (pid(s) {', '.join(dead)}) exited "
                                       "unexpectedly") from None
                if deadline is not None and time.monotonic() >= deadline:
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} "
                                       "seconds") from None

    def _next_data(self):
        while True:
            # Skip the tasks of workers whose IterableDataset copy ran out.
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info is not None and (len(info) == 2 or self._workers_status[info[0]]):
                    break
                self._task_info.pop(self._rcvd_idx, None)
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:      # arrived earlier
                return self._process(self._task_info.pop(self._rcvd_idx)[1], advance=True)
            idx, data = self._get_data()
            if isinstance(data, _IterableDatasetStopIteration):
                self._retire_worker(data.worker_id)
                self._try_put_index()
            elif idx == self._rcvd_idx or not self._in_order:
                self._task_info.pop(idx)
                return self._process(data, advance=idx == self._rcvd_idx)
            elif idx in self._task_info:
                self._task_info[idx] += (data,)

    def _process(self, data, advance):
        if advance:
            self._rcvd_idx += 1
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return data

    def _retire_worker(self, worker_id):
        """A worker's stream ended: send it no more tasks (and let it exit unless persistent)."""
        self._workers_status[worker_id] = False
        if not self._persistent_workers:
            self._index_queues[worker_id].put(None)

    def _shutdown_workers(self):
        if self._shutdown:
            return
        self._shutdown = True
        self._done_event.set()
        for index_queue in self._index_queues:
            index_queue.put(None)
        for worker in self._workers:
            worker.join(timeout=_JOIN_TIMEOUT)
        for q in (*self._index_queues, self._result_queue):
            q.cancel_join_thread()
            q.close()
        for worker in self._workers:
            if worker.is_alive():
                worker.terminate()

    def __del__(self):
        self._shutdown_workers()

