"""The machinery behind DataLoader: collation, fetching, and the worker processes."""
from . import collate, fetch, iterators, worker  # noqa: F401
