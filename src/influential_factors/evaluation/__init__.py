"""Layer 6, evaluation: the experiments on trained models (top-k ablations, emotion classifiers, traversals,
generation, the supervised runs' swap), which draw with reporting's figures."""
