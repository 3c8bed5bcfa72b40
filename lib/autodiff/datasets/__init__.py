"""The course's data sets, loaded from pip packages (nothing is downloaded), like
``torchvision.datasets``. Each loader imports its package when called and says which one to
install if it is missing; each docstring names the source and the licence.

======================  ======================================  ============================
loader                  returns                                 package
======================  ======================================  ============================
load_penguins()         DataFrame, 344 penguins                 palmerpenguins
load_digits()           DataFrame or TensorDataset, 1797 8x8    scikit-learn
load_iris()             DataFrame or TensorDataset, 150 flowers scikit-learn
load_surnames()         DataFrame (surname, language)           faker, pandas
load_sunspots()         DataFrame, yearly 1700-2008             statsmodels
load_co2()              DataFrame, monthly 1958-2001            statsmodels
sample_image()          PIL image (a photo)                     matplotlib, pillow
write_digits_image_folder(root)  PNG files for ImageFolder      scikit-learn, pillow
======================  ======================================  ============================
"""
from .images import sample_image, write_digits_image_folder
from .tabular import load_digits, load_iris, load_penguins
from .text import SURNAME_LOCALES, load_surnames
from .timeseries import load_co2, load_sunspots

__all__ = ["load_penguins", "load_digits", "load_iris", "load_surnames", "SURNAME_LOCALES",
           "load_sunspots", "load_co2", "sample_image", "write_digits_image_folder"]
