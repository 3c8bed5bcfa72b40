"""autodiff.utils.data: datasets, samplers, default_collate and the DataLoader (with real
worker processes), compared with torch.utils.data where the result is deterministic."""
import collections
import os
import time
import warnings

import numpy as np
import pytest

import autodiff
from autodiff.utils.data import (BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset,
                                 IterableDataset, RandomSampler, SequentialSampler, StackDataset,
                                 Subset, SubsetRandomSampler, TensorDataset,
                                 WeightedRandomSampler, default_collate, default_convert,
                                 get_worker_info, random_split)
from autodiff.utils.data._utils.collate import default_collate as collate_from_utils

Point = collections.namedtuple("Point", ["x", "y"])


def plain(obj):
    """A structure of autodiff or torch tensors as comparable Python values: tensors become
    ('tensor', dtype name, shape, values); containers keep their type name."""
    if isinstance(obj, autodiff.Tensor) or type(obj).__name__ == "Tensor":
        return ("tensor", str(obj.dtype).split(".")[-1], tuple(obj.shape), obj.tolist())
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [plain(v) for v in obj])
    return obj


# ---- datasets -----------------------------------------------------------------------------------
class Squares(Dataset):
    def __init__(self, n=10):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i * i


class Stream(IterableDataset):
    """0 .. n-1; with workers, worker k yields the numbers k, k + num_workers, ..."""

    def __init__(self, n=7):
        self.n = n

    def __len__(self):
        return self.n

    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))


def test_tensor_dataset():
    x, y = autodiff.arange(12.).view(4, 3), autodiff.tensor([0, 1, 0, 1])
    ds = TensorDataset(x, y)
    assert len(ds) == 4
    xi, yi = ds[2]
    assert xi.tolist() == [6., 7., 8.] and yi.item() == 0
    one = TensorDataset(y)[1]
    assert isinstance(one, tuple) and len(one) == 1 and one[0].item() == 1
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(x, autodiff.zeros(5))


def test_concat_subset_stack_chain():
    a, b = Squares(3), Squares(4)
    both = a + b
    assert isinstance(both, ConcatDataset) and both.cumulative_sizes == [3, 7]
    assert [both[i] for i in range(7)] == [0, 1, 4, 0, 1, 4, 9]
    assert both[-1] == 9
    with pytest.raises(ValueError, match="absolute value of index"):
        both[-8]
    with pytest.raises(AssertionError, match="does not support IterableDataset"):
        ConcatDataset([a, Stream()])
    sub = Subset(b, [3, 1])
    assert len(sub) == 2 and [sub[0], sub[1]] == [9, 1]
    assert StackDataset(a, Squares(3))[2] == (4, 4)
    assert StackDataset(x=a, y=a)[1] == {"x": 1, "y": 1}
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset(a, b)
    chain = Stream(2) + Stream(3)
    assert isinstance(chain, ChainDataset) and list(chain) == [0, 1, 0, 1, 2] and len(chain) == 5
    with pytest.raises(NotImplementedError):
        Dataset()[0]


@pytest.mark.torch
@pytest.mark.parametrize("n, lengths", [(10, [3, 7]), (10, [0.3, 0.7]), (30, [0.3, 0.3, 0.4]),
                                        (11, [0.5, 0.5]), (7, [0.2, 0.2, 0.6]),
                                        (5, [0.1, 0.9]), (100, [0.8, 0.1, 0.1])])
def test_random_split_lengths_like_torch(torch, n, lengths):
    ours = random_split(range(n), lengths)
    theirs = torch.utils.data.random_split(range(n), lengths)
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    drawn = [i for s in ours for i in s]
    assert sorted(drawn) == list(range(n))            # a partition of the dataset


def test_random_split_seeded_and_errors():
    autodiff.manual_seed(3)
    first = [list(s) for s in random_split(range(20), [0.5, 0.5])]
    autodiff.manual_seed(3)
    assert [list(s) for s in random_split(range(20), [0.5, 0.5])] == first
    g = autodiff.Generator().manual_seed(3)
    assert [list(s) for s in random_split(range(20), [10, 10], generator=g)] == first
    assert first[0] != list(range(10))
    with pytest.raises(ValueError, match="^Sum of input lengths does not equal the length of "
                                         "the input dataset!$"):
        random_split(range(10), [3, 3])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(range(2), [1.0, 0.0])


# ---- samplers -----------------------------------------------------------------------------------
def test_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    rs = RandomSampler(range(10))
    order = list(rs)
    assert sorted(order) == list(range(10)) and order != list(range(10)) and len(rs) == 10
    assert list(rs) != order                          # a new permutation every epoch
    autodiff.manual_seed(5)
    a = list(RandomSampler(range(10)))
    autodiff.manual_seed(5)
    assert list(RandomSampler(range(10))) == a
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=70))
    assert len(drawn) == 70 and set(drawn) == {0, 1, 2}
    more = list(RandomSampler(range(4), num_samples=6))   # a whole permutation, then 2 more
    assert sorted(more[:4]) == [0, 1, 2, 3] and len(set(more[4:])) == 2
    sub = list(SubsetRandomSampler([10, 20, 30]))
    assert sorted(sub) == [10, 20, 30]
    w = list(WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 50))
    assert set(w) == {1, 3} and len(w) == 50
    assert sorted(WeightedRandomSampler([1, 1, 1], 3, replacement=False)) == [0, 1, 2]


@pytest.mark.torch
@pytest.mark.parametrize("make", [
    lambda m: m.RandomSampler(range(3), num_samples=0),
    lambda m: m.RandomSampler(range(3), replacement=1),
    lambda m: m.WeightedRandomSampler([1.0, 2.0], 0),
    lambda m: m.WeightedRandomSampler([[1.0, 2.0]], 2),
    lambda m: m.WeightedRandomSampler([1.0, 2.0], 2, replacement=None),
    lambda m: m.BatchSampler(range(3), 0, False),
    lambda m: m.BatchSampler(range(3), 2, drop_last=None),
])
def test_sampler_errors_like_torch(torch, make):
    import autodiff.utils.data as ours
    with pytest.raises(Exception) as theirs:
        make(torch.utils.data)
    with pytest.raises(theirs.type) as got:
        make(ours)
    assert str(got.value) == str(theirs.value)


@pytest.mark.torch
@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_sampler_like_torch(torch, drop_last):
    for n, bs in [(10, 3), (9, 3), (2, 5), (0, 2)]:
        ours = BatchSampler(SequentialSampler(range(n)), bs, drop_last)
        theirs = torch.utils.data.BatchSampler(range(n), bs, drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)


# ---- default_collate ----------------------------------------------------------------------------
def _samples(m):
    """Nested samples built with module ``m`` (autodiff or torch): every rule of default_collate."""
    out = []
    for i in range(3):
        out.append({
            "t": m.tensor([i, i + 1.0]), "i64": m.tensor(i), "b": m.tensor(i % 2 == 0),
            "np": np.full((2, 2), i, dtype=np.int16), "np0": np.array(i * 0.5),
            "f32": np.float32(i), "i32": np.int32(i), "nbool": np.bool_(i), "f": i / 2,
            "n": i, "flag": bool(i), "s": f"s{i}", "by": b"x",
            "tup": (i, "a"), "pt": Point(m.tensor([i]), float(i)), "lst": [i, [i * 1.5]],
            "mixed": [1, 2.5][i % 2] if i else 1,
        })
    return out


@pytest.mark.torch
def test_default_collate_like_torch(torch):
    ours = default_collate(_samples(autodiff))
    theirs = torch.utils.data.default_collate(_samples(torch))
    assert plain(ours) == plain(theirs)
    assert isinstance(ours["pt"], Point) and isinstance(ours["tup"], list)
    assert ours["f"].dtype == autodiff.float64 and ours["mixed"].dtype == autodiff.float32
    assert ours["i32"].dtype == autodiff.int32 and ours["flag"].dtype == autodiff.bool
    assert ours["s"] == ["s0", "s1", "s2"] and ours["tup"][1] == ("a", "a", "a")
    assert collate_from_utils is default_collate


@pytest.mark.torch
@pytest.mark.parametrize("batch", [[1, 2.5], [True, False], [[1, 2], [3, 4]], [(1.5,), (2.5,)],
                                   [np.array([1, 2], dtype=np.uint8)] * 2, ["a", "b"]])
def test_default_collate_small_like_torch(torch, batch):
    assert plain(default_collate(batch)) == plain(torch.utils.data.default_collate(batch))


@pytest.mark.torch
def test_default_convert_like_torch(torch):
    data = {"a": np.arange(3), "b": (np.float32(1.5), "s"), "c": [np.zeros(2)], "d": 7}
    assert plain(default_convert(data)) == plain(torch.utils.data.default_convert(data))


def test_collate_errors():
    with pytest.raises(RuntimeError, match=r"^stack expects each tensor to be equal size, but "
                                           r"got \[3\] at entry 0 and \[4\] at entry 1$"):
        default_collate([autodiff.zeros(3), autodiff.zeros(4)])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
        default_collate([[1, 2], [1]])
    with pytest.raises(TypeError, match="batch must contain tensors, numpy arrays, numbers, "
                                        "dicts or lists; found <class 'object'>"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="found <U1"):
        default_collate([np.array(["a"]), np.array(["b"])])


class Ragged(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return autodiff.zeros(3 + i), i


def test_dataloader_mismatched_shapes_names_them():
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but "
                                           r"got \[3\] at entry 0 and \[4\] at entry 1"):
        next(iter(DataLoader(Ragged(), batch_size=2)))


# ---- DataLoader ---------------------------------------------------------------------------------
def _xy(m, n):
    return m.arange(n * 2.0).reshape(n, 2), m.arange(n)


@pytest.mark.torch
@pytest.mark.parametrize("n", [1, 7, 10])
@pytest.mark.parametrize("batch_size", [1, 3, 5])
@pytest.mark.parametrize("drop_last", [False, True])
def test_dataloader_batches_like_torch(torch, n, batch_size, drop_last):
    ours = DataLoader(TensorDataset(*_xy(autodiff, n)), batch_size=batch_size,
                      drop_last=drop_last)
    theirs = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(*_xy(torch, n)),
                                         batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    assert [plain(b) for b in ours] == [plain(b) for b in theirs]
    assert [plain(b) for b in ours] == [plain(b) for b in theirs]     # re-iterable


@pytest.mark.torch
@pytest.mark.parametrize("drop_last", [False, True])
def test_dataloader_shuffle_structure_like_torch(torch, drop_last):
    kwargs = dict(batch_size=4, shuffle=True, drop_last=drop_last)
    ours = DataLoader(TensorDataset(autodiff.arange(10)), **kwargs)
    theirs = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.arange(10)),
                                         **kwargs)
    epochs = [[b[0].tolist() for b in ours] for _ in range(2)]
    assert [len(b) for b in epochs[0]] == [len(b[0]) for b in theirs]
    seen = sorted(i for b in epochs[0] for i in b)
    assert seen == list(range(10)) if not drop_last else len(set(seen)) == 8
    assert epochs[0] != epochs[1]                     # reshuffled every epoch
    autodiff.manual_seed(7)
    first = [b[0].tolist() for b in ours]
    autodiff.manual_seed(7)
    assert [b[0].tolist() for b in ours] == first     # manual_seed makes it reproducible
    g1, g2 = autodiff.Generator().manual_seed(1), autodiff.Generator().manual_seed(1)
    assert ([b[0].tolist() for b in DataLoader(range(10), shuffle=True, generator=g1)] ==
            [b[0].tolist() for b in DataLoader(range(10), shuffle=True, generator=g2)])


@pytest.mark.torch
def test_dataloader_samplers_like_torch(torch):
    data = list(range(10, 20))
    bs = [[0, 1], [5], [9, 8, 7]]
    ours = [b.tolist() for b in DataLoader(data, batch_sampler=bs)]
    assert ours == [b.tolist() for b in torch.utils.data.DataLoader(data, batch_sampler=bs)]
    assert ours == [[10, 11], [15], [19, 18, 17]]
    sub = DataLoader(data, sampler=SubsetRandomSampler([0, 2, 4]), batch_size=2)
    assert len(sub) == 2 and sorted(x for b in sub for x in b.tolist()) == [10, 12, 14]
    assert list(DataLoader(data, sampler=[3, 1], batch_size=None)) == [13, 11]
    assert plain(list(DataLoader([np.arange(2)], batch_size=None))) == \
        plain(list(torch.utils.data.DataLoader([np.arange(2)], batch_size=None)))


@pytest.mark.torch
@pytest.mark.parametrize("kwargs", [
    dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2),
    dict(persistent_workers=True), dict(sampler=[0], shuffle=True),
    dict(batch_sampler=[[0]], batch_size=2), dict(batch_sampler=[[0]], drop_last=True),
    dict(batch_sampler=[[0]], shuffle=True), dict(batch_size=None, drop_last=True),
    dict(multiprocessing_context="spawn"), dict(num_workers=1, multiprocessing_context="nope"),
    dict(num_workers=1, prefetch_factor=-1)])
def test_dataloader_option_errors_like_torch(torch, kwargs):
    with pytest.raises(Exception) as theirs:
        torch.utils.data.DataLoader(list(range(4)), **kwargs)
    with pytest.raises(theirs.type) as got:
        DataLoader(list(range(4)), **kwargs)
    assert str(got.value) == str(theirs.value)


@pytest.mark.torch
@pytest.mark.parametrize("kwargs", [dict(shuffle=True), dict(sampler=[0]),
                                    dict(batch_sampler=[[0]])])
def test_iterable_dataset_option_errors_like_torch(torch, kwargs):
    class TorchStream(torch.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(3))
    with pytest.raises(ValueError) as theirs:
        torch.utils.data.DataLoader(TorchStream(), **kwargs)
    with pytest.raises(ValueError) as got:
        DataLoader(Stream(), **kwargs)
    assert str(got.value).split(", but got")[0] == str(theirs.value).split(", but got")[0]


@pytest.mark.torch
@pytest.mark.parametrize("batch_size, drop_last", [(1, False), (2, False), (2, True),
                                                   (3, True), (None, False)])
def test_iterable_dataset_len_and_batches_like_torch(torch, batch_size, drop_last):
    class TorchStream(torch.utils.data.IterableDataset):
        def __len__(self):
            return 7

        def __iter__(self):
            return iter(range(7))
    ours = DataLoader(Stream(7), batch_size=batch_size, drop_last=drop_last)
    theirs = torch.utils.data.DataLoader(TorchStream(), batch_size=batch_size,
                                         drop_last=drop_last)
    assert len(ours) == len(theirs)
    assert [plain(b) for b in ours] == [plain(b) for b in theirs]


def test_dataloader_misc():
    dl = DataLoader(Squares(5), batch_size=2, collate_fn=lambda b: sum(b), pin_memory=True)
    assert list(dl) == [1, 13, 16] and len(dl) == 3
    with pytest.raises(ValueError, match="batch_size attribute should not be set after "
                                         "DataLoader is initialized"):
        dl.batch_size = 4
    it = iter(dl)
    assert len(it) == 3 and next(it) == 1
    assert get_worker_info() is None


# ---- worker processes ---------------------------------------------------------------------------
class WhoAmI(Dataset):
    """Sample i: (i, worker id, process id, a random number drawn in the worker)."""

    def __init__(self, n=12):
        self.n = n
        self.offset = 0

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        info = get_worker_info()
        assert info is None or info.dataset is self
        return (i + self.offset, -1 if info is None else info.id, os.getpid(),
                autodiff.rand(1).item())


def _shift_by_worker_id(worker_id):
    get_worker_info().dataset.offset = 100 * (worker_id + 1)


def test_workers_are_processes_and_keep_order():
    dl = DataLoader(WhoAmI(12), batch_size=2, num_workers=2)
    batches = list(dl)
    assert [i for b in batches for i in b[0].tolist()] == list(range(12))
    workers = {w for b in batches for w in b[1].tolist()}
    pids = {p for b in batches for p in b[2].tolist()}
    assert workers == {0, 1} and len(pids) == 2 and os.getpid() not in pids
    # round robin: batch k comes from worker k % 2
    assert [b[1].tolist()[0] for b in batches] == [0, 1, 0, 1, 0, 1]
    randoms = [r for b in batches for r in b[3].tolist()]
    assert len(set(randoms)) == 12                    # workers are seeded differently
    assert [b[0].tolist() for b in dl] == [b[0].tolist() for b in batches]   # re-iterable


def test_worker_init_fn_and_persistent_workers():
    dl = DataLoader(WhoAmI(4), batch_size=1, num_workers=2, worker_init_fn=_shift_by_worker_id,
                    persistent_workers=True)
    first = list(dl)
    assert [b[0].item() for b in first] == [100, 201, 102, 203]
    second = list(dl)
    assert [b[0].item() for b in second] == [100, 201, 102, 203]
    assert {b[2].item() for b in first} == {b[2].item() for b in second}   # same processes
    dl._iterator._shutdown_workers()


@pytest.mark.torch
def test_iterable_dataset_with_workers_like_torch(torch):
    class TorchStream(torch.utils.data.IterableDataset):
        def __iter__(self):
            info = torch.utils.data.get_worker_info()
            return iter(range(info.id, 7, info.num_workers))
    ours = [b.tolist() for b in DataLoader(Stream(7), batch_size=2, num_workers=2)]
    theirs = [b.tolist() for b in torch.utils.data.DataLoader(TorchStream(), batch_size=2,
                                                              num_workers=2)]
    assert ours == theirs == [[0, 2], [1, 3], [4, 6], [5]]


class Faulty(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 3:
            return self.explode(i)
        return i

    def explode(self, i):
        raise KeyError(f"no sample {i}")


def test_worker_exception_carries_traceback():
    with pytest.raises(KeyError) as info:
        list(DataLoader(Faulty(), batch_size=2, num_workers=2))
    text = str(info.value)
    assert "Caught KeyError in DataLoader worker process 1." in text
    assert "Original Traceback (most recent call last):" in text
    assert "in explode" in text and "KeyError: 'no sample 3'" in text


class Dies(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        os._exit(3)


class Slow(Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        time.sleep(1)
        return i


def test_dead_worker_and_timeout():
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+"):
        list(DataLoader(Dies(), num_workers=1))
    with pytest.raises(RuntimeError, match="^DataLoader timed out after 0.3 seconds$"):
        list(DataLoader(Slow(), num_workers=1, timeout=0.3))


def test_spawn_workers_and_fallback():
    ds = TensorDataset(autodiff.arange(6))
    got = [b[0].tolist() for b in DataLoader(ds, batch_size=3, num_workers=1,
                                             multiprocessing_context="spawn")]
    assert got == [[0, 1, 2], [3, 4, 5]]
    loader = DataLoader(ds, batch_size=3, num_workers=1, multiprocessing_context="spawn",
                        collate_fn=lambda batch: len(batch))
    with pytest.warns(UserWarning, match="loading in the main process instead"):
        assert list(loader) == [3, 3]


def test_too_many_workers_warns():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        DataLoader(range(3), num_workers=10_000)
    assert any("This DataLoader will create 10000 worker processes" in str(w.message)
               for w in caught)
