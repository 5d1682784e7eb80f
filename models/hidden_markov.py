"""Hidden Markov model: a series switching between two regimes (Gaussian emissions).

A series ``y`` of 120 values is emitted by a hidden two-state Markov chain: in state k a value
is ``Normal(mu[k], sigma[k])``, and the chain moves from state i to state j with probability
``P[i, j]``. The states are not observed: the likelihood sums over all their paths by the
forward algorithm (in log space, a ``pytensor`` scan), so the model has no discrete free
variable. The chain starts from the uniform distribution ``INITIAL`` (fixed: from a single
series its MLE would sit on the boundary, a one-hot vector).

Relabelling the states leaves the likelihood unchanged; the model identifies them by ordering
the means (``mu[0] < mu[1]``, an ``ordered`` transform; the prior means are ordered too, so the
default initial point is ordered without an ``initval``, which ``pm.do`` rejects), and the
comparison with Baum-Welch sorts hmmlearn's states by their means.

MLE: the fixed point of the Baum-Welch (EM) algorithm, hmmlearn's ``GaussianHMM``. MAP: with
``Dirichlet(2, 2)`` rows of ``P`` (one pseudo-transition each way) and ``InverseGamma`` sds.
"""

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt

#: What this model demonstrates (shown by the catalogue).
EQUIVALENCE = (
    "The MLE of a hidden Markov model, with the states summed out by the forward algorithm, is "
    "the fixed point of the Baum-Welch (EM) algorithm."
)

#: Number of hidden states.
K = 2
#: The chain's (fixed) initial distribution.
INITIAL = np.full(K, 1.0 / K)

#: Truth for studies (means in increasing order, as the model's ordering constraint).
TRUTH = {
    "P": np.array([[0.9, 0.1], [0.2, 0.8]]),
    "mu": np.array([0.0, 3.0]),
    "sigma": np.array([1.0, 0.7]),
}


def design(n: int, rng: np.random.Generator) -> dict:
    return {"y": np.zeros(n)}


def _simulated(n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    states = np.empty(n, dtype=int)
    states[0] = rng.choice(K, p=INITIAL)
    for t in range(1, n):
        states[t] = rng.choice(K, p=TRUTH["P"][states[t - 1]])
    y = rng.normal(TRUTH["mu"][states], TRUTH["sigma"][states])
    return {"y": np.round(y, 3)}


#: 120 time points simulated once at TRUTH with seed 20261125.
DATA = _simulated(120, 20261125)


def _forward_logp(value, P, mu, sigma, _template):
    """Log-likelihood of the series ``value`` by the forward algorithm, in log space."""
    emission = pm.logp(pm.Normal.dist(mu=mu, sigma=sigma), value[:, None])  # (time, state)
    log_p = pt.log(P)

    def step(log_e, log_alpha, log_p):
        return pt.logsumexp(log_alpha[:, None] + log_p, axis=0) + log_e

    log_alpha = pytensor.scan(
        step,
        sequences=[emission[1:]],
        outputs_info=[pt.log(INITIAL) + emission[0]],
        non_sequences=[log_p],
        return_updates=False,
    )
    return pt.logsumexp(log_alpha[-1])


def _random(P, mu, sigma, template, rng=None, size=None):
    """Simulate one series, as long as ``template``, from the chain and the emissions."""
    n = len(template)
    states = np.empty(n, dtype=int)
    states[0] = rng.choice(K, p=INITIAL)
    for t in range(1, n):
        states[t] = rng.choice(K, p=P[states[t - 1]])
    return rng.normal(mu[states], sigma[states])


def build(data) -> pm.Model:
    y = np.asarray(data["y"], dtype=float)
    coords = {"state": np.arange(K), "next_state": np.arange(K), "time": np.arange(len(y))}
    with pm.Model(coords=coords) as model:
        y_data = pm.Data("y_data", y, dims="time")
        P = pm.Dirichlet("P", a=np.full((K, K), 2.0), dims=("state", "next_state"))
        mu = pm.Normal(
            "mu",
            mu=np.linspace(-1.0, 1.0, K),
            sigma=5.0,
            dims="state",
            transform=pm.distributions.transforms.ordered,
        )
        sigma = pm.InverseGamma("sigma", alpha=3.0, beta=2.0, dims="state")
        pm.CustomDist(
            "y",
            P,
            mu,
            sigma,
            pt.zeros_like(y_data),  # gives the series its length (t) when it is simulated
            logp=_forward_logp,
            random=_random,
            signature="(s,s),(s),(s),(t)->(t)",
            observed=y_data,
            dims="time",
        )
    return model
