"""The VAE objectives the workflow trains: loss = -log p(x|z) + the objective's penalty on the codes.

An objective is one module of this package, starting with its torch-free DECLARATION (settings.py: its name
and its settings' rules), which registry.py finds by scanning the folder; params.yaml picks it per dataset
(`vae.<dataset>.objectives`, [] for none) and holds its settings (`objectives.<name>`). All are measured by
the same estimator (Algorithm 1, information/mi.py), whatever their prior.
Importing this package imports no torch: validation reads the declarations from the source, without running
the modules; the classes are in registry.py.
"""
