"""Encoders with known I(x; z_h), for checking the estimators against the truth.

- "gaussian": x ~ N(0, S) in 4-D, mu_h(x) = w_h . x, sigma_h^2 constant. q(z_h) is Gaussian, so
  I(x; z_h) = 1/2 log(1 + w_h' S w_h / sigma_h^2) and I(x; z) = 1/2 log det(I + D^-1 W S W'), D = diag sigma^2.
- "offset": the same with a constant c_h added to every mean: I is unchanged, but the paper's zero-mean
  q* pays KL(q(z_h) || q*) = 1/2 log(1 + c_h^2 / Var z_h) on top (the free-mean q* does not).
- "bimodal": independent x_h ~ 1/2 N(-a, s^2) + 1/2 N(a, s^2), mu_h = x_h: q(z_h) is a two-component
  mixture, not Gaussian, so every Gaussian q* overestimates; I(x; z_h) = H(q(z_h)) - 1/2 log(2 pi e sigma_h^2)
  with the mixture's entropy by quadrature, and I(x; z) = sum_h I(x; z_h) (independent factors).
"""

from __future__ import annotations

import numpy as np
from scipy import integrate, stats

CASES = ("gaussian", "offset", "bimodal")
WEIGHTS = np.array([[1.0, 0.5, 0.0, 0.0], [0.0, 0.1, 0.0, 0.2], [0.3, -0.3, 1.0, 2.0]])
NOISE_VARIANCE = np.array([0.5, 2.0, 0.01])
OFFSET = np.array([1.5, 0.0, -3.0])
BIMODAL_CENTRE, BIMODAL_SPREAD = 2.0, 0.5
BIMODAL_NOISE_VARIANCE = np.array([0.05, 0.5, 4.0])


def input_covariance(seed: int = 0) -> np.ndarray:
    """A fixed, well-conditioned 4x4 covariance S of the linear cases' input."""
    a = np.random.default_rng(seed).normal(size=(4, 4))
    return a @ a.T + np.eye(4)


def linear_gaussian_truth(covariance: np.ndarray) -> tuple[np.ndarray, float]:
    """I(x; z_h) per factor and I(x; z) of the linear-Gaussian encoder, in closed form."""
    signal = WEIGHTS @ covariance @ WEIGHTS.T
    per_factor = 0.5 * np.log1p(np.diag(signal) / NOISE_VARIANCE)
    joint = 0.5 * np.linalg.slogdet(np.eye(len(WEIGHTS)) + signal / NOISE_VARIANCE[:, None])[1]
    return per_factor, float(joint)


def bimodal_information(noise_variance: float) -> float:
    """I(x; z) for x ~ 1/2 N(-a, s^2) + 1/2 N(a, s^2), z = x + N(0, v): H(z) by quadrature - H(z|x)."""
    scale = np.sqrt(BIMODAL_SPREAD**2 + noise_variance)

    def density(z):
        return 0.5 * (stats.norm.pdf(z, -BIMODAL_CENTRE, scale) + stats.norm.pdf(z, BIMODAL_CENTRE, scale))

    bound = BIMODAL_CENTRE + 12 * scale
    entropy, _ = integrate.quad(lambda z: -density(z) * np.log(max(density(z), 1e-300)), -bound, bound,
                                points=[-BIMODAL_CENTRE, 0.0, BIMODAL_CENTRE], limit=200, epsabs=1e-12)
    return entropy - 0.5 * np.log(2 * np.pi * np.e * noise_variance)


def synthetic_posteriors(case: str, samples: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(mu, logvar, true I(x; z_h) per factor, true I(x; z)) for `samples` inputs of a known case."""
    if case not in CASES:
        raise ValueError(f"unknown synthetic case {case!r}; choose from {CASES}")
    rng = np.random.default_rng(seed)
    if case == "bimodal":
        signs = rng.choice([-1.0, 1.0], size=(samples, len(BIMODAL_NOISE_VARIANCE)))
        mu = BIMODAL_CENTRE * signs + BIMODAL_SPREAD * rng.normal(size=signs.shape)
        truth = np.array([bimodal_information(v) for v in BIMODAL_NOISE_VARIANCE])
        return mu, np.broadcast_to(np.log(BIMODAL_NOISE_VARIANCE), mu.shape).copy(), truth, float(truth.sum())
    covariance = input_covariance()
    x = rng.multivariate_normal(np.zeros(len(covariance)), covariance, size=samples)
    mu = x @ WEIGHTS.T + (OFFSET if case == "offset" else 0.0)
    truth, joint = linear_gaussian_truth(covariance)
    return mu, np.broadcast_to(np.log(NOISE_VARIANCE), mu.shape).copy(), truth, joint
