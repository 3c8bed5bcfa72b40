"""Time series: yearly sunspot numbers and the Mauna Loa CO2 record."""
from __future__ import annotations

from ._require import require

__all__ = ["load_sunspots", "load_co2"]


def load_sunspots():
    """Yearly mean sunspot numbers 1700-2008: a DataFrame of 309 rows with columns YEAR (int)
    and SUNACTIVITY.

    Source: ``statsmodels.datasets.sunspots`` (Solar Influences Data Analysis Center).
    Licence: public domain.
    """
    datasets = require("statsmodels.datasets", "statsmodels", "load_sunspots")
    frame = datasets.sunspots.load_pandas().data.copy()
    frame["YEAR"] = frame["YEAR"].astype("int64")
    return frame


def load_co2(monthly=True):
    """Atmospheric CO2 at Mauna Loa (ppm), March 1958 - December 2001: a DataFrame with one
    column co2 indexed by date.

    ``monthly=True`` (default): 526 monthly means, the five months without any measurement
    filled by linear interpolation. ``monthly=False``: the weekly record, with its gaps (NaN).

    Source: ``statsmodels.datasets.co2`` (Scripps Institution of Oceanography).
    Licence: public domain.
    """
    datasets = require("statsmodels.datasets", "statsmodels", "load_co2")
    weekly = datasets.co2.load_pandas().data
    if not monthly:
        return weekly.copy()
    return weekly.resample("MS").mean().interpolate()
