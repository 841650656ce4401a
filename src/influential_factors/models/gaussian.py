"""Closed-form KL divergence between univariate Gaussians, elementwise (numpy or torch)."""

from __future__ import annotations


def kl_normal(mu_q, logvar_q, mu_p=0.0, logvar_p=0.0):
    """KL(N(mu_q, e^logvar_q) || N(mu_p, e^logvar_p)) per element, in nats.

    = 1/2 [logvar_p - logvar_q + (e^logvar_q + (mu_q - mu_p)^2) / e^logvar_p - 1].
    Works on numpy arrays and torch tensors alike; the defaults give the KL to the N(0, 1) prior.
    """
    lib = _array_module(mu_q)
    log_ratio = logvar_q - logvar_p  # an array even when the prior's parameters are scalars
    precision_p = lib.exp(log_ratio - logvar_q)
    return 0.5 * (lib.exp(log_ratio) - log_ratio + (mu_q - mu_p) ** 2 * precision_p - 1.0)


def _array_module(value):
    """torch for tensors, numpy otherwise."""
    if type(value).__module__.startswith("torch"):
        import torch

        return torch
    import numpy

    return numpy
