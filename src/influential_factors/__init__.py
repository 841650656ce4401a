"""Discovering influential latent factors of variational autoencoders (Liu et al.).

Data flows one way: datasets -> models -> training -> encoding -> mi -> ablation -> figures;
`cli` exposes one subcommand per workflow rule.
"""

__version__ = "0.1.0"
