"""Discovering influential latent factors of variational autoencoders (Liu et al.).

Data flows one way: datasets -> models -> training -> encoding -> mi -> ablation -> figures;
`cli` exposes one subcommand per workflow rule. Imports are layered: what reads models or
posteriors (encoding, mi, estimators, comparison, classifier, ablation) never imports the
training loop or DEAP's video code (tests/test_layers.py).
"""

__version__ = "0.1.0"
