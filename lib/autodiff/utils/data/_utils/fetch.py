"""Fetchers: how one index (or list of indices) from the sampler becomes one collated batch.
The same code runs in the main process and in worker processes."""
from __future__ import annotations


class _MapDatasetFetcher:
    """``collate_fn([dataset[i] for i in indices])`` (or ``dataset[i]`` without batching)."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn

    def fetch(self, index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        getitems = getattr(self.dataset, "__getitems__", None)
        samples = getitems(index) if getitems else [self.dataset[i] for i in index]
        return self.collate_fn(samples)


class _IterableDatasetFetcher:
    """The next ``len(index)`` samples of the stream; raises StopIteration when it runs dry
    (or, with ``drop_last``, when only an incomplete batch is left)."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset_iter = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.dataset_iter))
        samples = []
        for _ in index:
            try:
                samples.append(next(self.dataset_iter))
            except StopIteration:
                self.ended = True
                break
        if not samples or (self.drop_last and len(samples) < len(index)):
            raise StopIteration
        return self.collate_fn(samples)


def create_fetcher(is_iterable, dataset, auto_collation, collate_fn, drop_last):
    """The fetcher that turns a batch of indices (or the next samples) into a collated batch."""
    kind = _IterableDatasetFetcher if is_iterable else _MapDatasetFetcher
    return kind(dataset, auto_collation, collate_fn, drop_last)
