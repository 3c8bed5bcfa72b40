"""Text: surnames labelled by the language they come from."""
from __future__ import annotations

import collections
import importlib

import numpy as np

from ._require import require

__all__ = ["load_surnames", "SURNAME_LOCALES"]

# One Faker locale per language, all written in the Latin alphabet.
SURNAME_LOCALES = {"Croatian": "hr_HR", "Dutch": "nl_NL", "English": "en_US",
                   "Finnish": "fi_FI", "French": "fr_FR", "German": "de_DE",
                   "Italian": "it_IT", "Spanish": "es_ES"}


def load_surnames(n_per_language=300, languages=None, seed=0):
    """A balanced DataFrame of surnames (columns surname, language): ``n_per_language``
    different names for each language, rows in a fixed shuffled order.

    Names found in the lists of two languages are left out (their label would be ambiguous);
    which names are kept and their order depend only on ``seed``. ``languages`` picks a subset
    of ``SURNAME_LOCALES``.

    Source: the surname lists of the ``faker`` package's person providers
    (``faker.providers.person.<locale>.Provider.last_names``). Licence: MIT.
    """
    require("faker", "faker", "load_surnames")
    pd = require("pandas", "pandas", "load_surnames")
    languages = sorted(SURNAME_LOCALES if languages is None else languages)
    unknown = set(languages) - set(SURNAME_LOCALES)
    if unknown:
        raise ValueError(f"unknown languages {sorted(unknown)}; choose from "
                         f"{sorted(SURNAME_LOCALES)}")
    names = {}
    for language in SURNAME_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{SURNAME_LOCALES[language]}")
        names[language] = set(provider.Provider.last_names)
    counts = collections.Counter(n for group in names.values() for n in group)
    rng = np.random.default_rng(seed)
    rows = []
    for language in languages:
        unique = sorted(n for n in names[language] if counts[n] == 1)
        if len(unique) < n_per_language:
            raise ValueError(f"only {len(unique)} {language} surnames are available, "
                             f"n_per_language={n_per_language} asked for more")
        chosen = rng.choice(len(unique), n_per_language, replace=False)
        rows += [(unique[i], language) for i in sorted(chosen)]
    order = rng.permutation(len(rows))
    return pd.DataFrame([rows[i] for i in order], columns=["surname", "language"])
