"""The VAE objectives the workflow trains: loss = -log p(x|z) + the objective's penalty on the codes.

An objective is one module of this package and one entry of registry.OBJECTIVES; params.yaml picks it per dataset
(`vae.<dataset>.objectives`) and holds its settings (`objectives.<name>`). All are measured by the same
estimator (Algorithm 1, information/mi.py), whatever their prior.
Importing this package imports no torch: validation reads settings.py without it; the classes are in registry.py.
"""
