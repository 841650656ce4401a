"""Layer 2, data: the readers and generators of every dataset, DEAP's videos, and the saved posteriors every later step reads."""
