"""Naive Bayes: word counts of short documents in two classes (multinomial naive Bayes).

Each document has a class (``label``: 0 = sports, 1 = politics) and counts of six words. Given
its class, a document's word counts are multinomial with the class's word probabilities
``theta[class]`` (the "naive" assumption: words are independent given the class); the classes
occur with probabilities ``pi``.

MLE: ``pi`` = class frequencies, ``theta[c, w]`` = count of word w in class c / all words in c.
A word never seen in a class gets probability 0 there (the MLE sits on the boundary of the
simplex) and then rules that class out for any document containing it: this is why naive
Bayes is smoothed. MAP with a ``Dirichlet(alpha + 1)`` prior on each ``theta[c]``:
``(count + alpha) / (total + alpha * n_words)``, additive (Laplace when ``alpha = 1``)
smoothing, exactly scikit-learn's ``MultinomialNB(alpha)``; ``pi`` has a flat ``Dirichlet(1)``
prior, so its MAP is the class frequency, as ``MultinomialNB``'s fitted class prior.
"""

import numpy as np
import pymc as pm

#: What this model demonstrates (shown by the catalogue).
EQUIVALENCE = (
    "The naive Bayes MLE of the word probabilities is the within-class relative frequency; the "
    "MAP under a Dirichlet(alpha + 1) prior is additive (Laplace) smoothing, scikit-learn's "
    "MultinomialNB(alpha)."
)

CLASSES = ["sports", "politics"]
WORDS = ["ball", "goal", "team", "vote", "party", "election"]
#: Additive smoothing of the MAP (1 = Laplace smoothing); the prior is Dirichlet(ALPHA + 1).
ALPHA = 1.0

#: Truth for studies: the class probabilities and each class's word probabilities.
TRUTH = {
    "pi": np.array([0.5, 0.5]),
    "theta": np.array([[0.30, 0.25, 0.25, 0.05, 0.10, 0.05], [0.05, 0.05, 0.10, 0.30, 0.25, 0.25]]),
}


def design(n: int, rng: np.random.Generator) -> dict:
    """Document lengths for n documents; labels and word counts are placeholders (zeros)."""
    return {
        "length": rng.poisson(12, size=n) + 3,
        "label": np.zeros(n, dtype=int),
        **{word: np.zeros(n, dtype=int) for word in WORDS},
    }


def _simulated(n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    lengths = design(n, rng)["length"]
    label = np.repeat([0, 1], n // 2)
    counts = np.stack(
        [rng.multinomial(m, TRUTH["theta"][c]) for m, c in zip(lengths, label, strict=True)]
    )
    words = {word: counts[:, j] for j, word in enumerate(WORDS)}
    return {"length": lengths, "label": label, **words}


#: 12 documents, 6 per class (``length`` is each document's number of words, the sum of its
#: word counts), simulated once at TRUTH with seed 20261125 (every word occurs in
#: every class, so the MLE is inside the simplex).
DATA = _simulated(12, 20261125)


def build(data) -> pm.Model:
    counts = np.column_stack([np.asarray(data[word], dtype=int) for word in WORDS])
    length = np.asarray(data["length"], dtype=int)
    label = np.asarray(data["label"], dtype=int)
    coords = {"class": CLASSES, "word": WORDS, "doc": np.arange(len(label))}
    with pm.Model(coords=coords) as model:
        counts_data = pm.Data("counts", counts, dims=("doc", "word"))
        length_data = pm.Data("length", length, dims="doc")
        label_data = pm.Data("label_data", label, dims="doc")
        pi = pm.Dirichlet("pi", a=np.ones(len(CLASSES)), dims="class")
        theta = pm.Dirichlet(
            "theta", a=np.full((len(CLASSES), len(WORDS)), ALPHA + 1.0), dims=("class", "word")
        )
        # the word probabilities are indexed by the label variable itself (not its data), so
        # that simulated documents follow their simulated classes
        label_rv = pm.Categorical("label", p=pi, observed=label_data, dims="doc")
        pm.Multinomial(
            "words",
            n=length_data,
            p=theta[label_rv],
            observed=counts_data,
            dims=("doc", "word"),
        )
    return model
