"""autodiff.datasets: the course's data, loaded from pip packages (no downloads)."""
import sys
import unicodedata

import numpy as np
import pytest

import autodiff
from autodiff import datasets
from autodiff.utils.data import DataLoader, TensorDataset
from autodiff.vision.datasets import ImageFolder


def test_penguins():
    pytest.importorskip("palmerpenguins")
    df = datasets.load_penguins()
    assert df.shape == (344, 8)
    assert list(df.columns) == ["species", "island", "bill_length_mm", "bill_depth_mm",
                                "flipper_length_mm", "body_mass_g", "sex", "year"]
    assert set(df["species"]) == {"Adelie", "Chinstrap", "Gentoo"}
    assert df["sex"].isna().sum() == 11                       # missing values are kept


def test_digits_and_iris():
    pytest.importorskip("sklearn")
    frame = datasets.load_digits()
    assert frame.shape == (1797, 65) and frame.columns[-1] == "target"
    assert frame.columns[0] == "pixel_0_0" and frame.iloc[:, :64].to_numpy().max() == 16
    ds = datasets.load_digits(as_frame=False)
    assert isinstance(ds, TensorDataset) and len(ds) == 1797
    image, label = ds[0]
    assert image.shape == (1, 8, 8) and image.dtype == autodiff.float32
    assert image.numpy().max() <= 1.0 and label.dtype == autodiff.int64 and label.item() == 0
    assert len(datasets.load_digits(as_frame=False, n_class=2)) == 360
    iris = datasets.load_iris()
    assert iris.shape == (150, 6) and list(iris.columns[-2:]) == ["target", "species"]
    assert iris.groupby("species").size().to_dict() == {"setosa": 50, "versicolor": 50,
                                                         "virginica": 50}
    x, y = next(iter(DataLoader(datasets.load_iris(as_frame=False), batch_size=150)))
    assert x.shape == (150, 4) and x.dtype == autodiff.float32 and y.tolist()[-1] == 2


def _latin(name):
    return all(c in " '-," or unicodedata.name(c).startswith("LATIN") for c in name)


def test_surnames_balanced_latin_deterministic():
    pytest.importorskip("faker")
    df = datasets.load_surnames()
    assert list(df.columns) == ["surname", "language"]
    counts = df["language"].value_counts()
    assert len(counts) == len(datasets.SURNAME_LOCALES) and (counts == 300).all()
    assert df["surname"].map(_latin).all()
    assert df.groupby("surname")["language"].nunique().max() == 1   # one label per name
    assert df["language"].iloc[:8].nunique() > 1                    # rows are shuffled
    assert df.equals(datasets.load_surnames())
    assert not df.equals(datasets.load_surnames(seed=1))
    two = datasets.load_surnames(n_per_language=50, languages=["French", "German"])
    assert two.shape == (100, 2) and set(two["language"]) == {"French", "German"}
    with pytest.raises(ValueError, match="unknown languages"):
        datasets.load_surnames(languages=["Klingon"])
    with pytest.raises(ValueError, match="surnames are available"):
        datasets.load_surnames(n_per_language=100_000)


def test_time_series():
    pytest.importorskip("statsmodels")
    sun = datasets.load_sunspots()
    assert sun.shape == (309, 2) and list(sun.columns) == ["YEAR", "SUNACTIVITY"]
    assert sun["YEAR"].tolist()[0] == 1700 and sun["YEAR"].tolist()[-1] == 2008
    assert sun["YEAR"].dtype == np.int64
    co2 = datasets.load_co2()
    assert co2.shape == (526, 1) and list(co2.columns) == ["co2"]
    assert not co2["co2"].isna().any()
    assert str(co2.index[0].date()) == "1958-03-01" and str(co2.index[-1].date()) == "2001-12-01"
    weekly = datasets.load_co2(monthly=False)
    assert weekly.shape == (2284, 1) and weekly["co2"].isna().sum() == 59


def test_sample_image():
    pytest.importorskip("matplotlib")
    img = datasets.sample_image()
    assert img.mode == "RGB" and img.size == (512, 600)


def test_write_digits_image_folder(tmp_path):
    pytest.importorskip("sklearn")
    root = datasets.write_digits_image_folder(tmp_path / "digits", classes=(0, 1))
    train, val = ImageFolder(root / "train"), ImageFolder(root / "val")
    assert train.classes == val.classes == ["0", "1"]
    assert len(train) + len(val) == 178 + 182
    assert (len(val.targets) - val.targets.count(1), val.targets.count(1)) == (36, 36)
    image, _ = train[0]
    assert image.size == (8, 8)
    files = sorted(p.name for p in (root / "val" / "0").iterdir())
    again = datasets.write_digits_image_folder(tmp_path / "again", classes=(0, 1))
    assert sorted(p.name for p in (again / "val" / "0").iterdir()) == files   # deterministic
    train_files = {p.name for p in (root / "train" / "0").iterdir()}
    assert train_files.isdisjoint(files)
    with pytest.raises(ValueError, match="there is no digit 11"):
        datasets.write_digits_image_folder(tmp_path / "bad", classes=(11,))


@pytest.mark.parametrize("loader, module, package", [
    ("load_penguins", "palmerpenguins", "palmerpenguins"),
    ("load_digits", "sklearn.datasets", "scikit-learn"),
    ("load_surnames", "faker", "faker"),
    ("load_sunspots", "statsmodels.datasets", "statsmodels"),
    ("sample_image", "matplotlib.cbook", "matplotlib"),
])
def test_missing_package_is_named(monkeypatch, loader, module, package):
    monkeypatch.setitem(sys.modules, module, None)            # makes `import module` fail
    with pytest.raises(ImportError, match=f"needs the '{package}' package: pip install "
                                          f"{package}"):
        getattr(datasets, loader)()
