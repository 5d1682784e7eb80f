"""British coal-mining disasters with a smooth change point (a logistic switch of the rate).

Yearly disasters 1851-1962 (Jarrett 1979), as in the PyMC gallery; the two years that the
gallery marks missing (1890 and 1934) are left out. The switch is a steep sigmoid so that the
change year is a continuous parameter.
"""

import numpy as np
import pymc as pm

_COUNTS = [
    4,
    5,
    4,
    0,
    1,
    4,
    3,
    4,
    0,
    6,
    3,
    3,
    4,
    0,
    2,
    6,
    3,
    3,
    5,
    4,
    5,
    3,
    1,
    4,
    4,
    1,
    5,
    5,
    3,
    4,
    2,
    5,
    2,
    2,
    3,
    4,
    2,
    1,
    3,
    -1,
    2,
    1,
    1,
    1,
    1,
    3,
    0,
    0,
    1,
    0,
    1,
    1,
    0,
    0,
    3,
    1,
    0,
    3,
    2,
    2,
    0,
    1,
    1,
    1,
    0,
    1,
    0,
    1,
    0,
    0,
    0,
    2,
    1,
    0,
    0,
    0,
    1,
    1,
    0,
    2,
    3,
    3,
    1,
    -1,
    2,
    1,
    1,
    1,
    1,
    2,
    4,
    2,
    0,
    0,
    1,
    4,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
    1,
    0,
    0,
    1,
    0,
    1,
]
_YEARS = np.arange(1851, 1851 + len(_COUNTS))
_KEEP = np.array(_COUNTS) >= 0
DATA = {"year": _YEARS[_KEEP].astype(float), "disasters": np.array(_COUNTS)[_KEEP]}


def build(data):
    year = np.asarray(data["year"], dtype=float)
    with pm.Model() as model:
        switch = pm.Uniform("switch", lower=year.min(), upper=year.max())
        early = pm.Exponential("early", lam=1.0)
        late = pm.Exponential("late", lam=1.0)
        weight = pm.math.sigmoid(2.0 * (year - switch))
        rate = early + (late - early) * weight
        pm.Poisson("disasters", mu=rate, observed=data["disasters"])
    return model
