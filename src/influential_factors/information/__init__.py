"""Layer 4, information: Algorithm 1 and the other estimators of I(x; z_h), MINE, InfoNCE and the MIG, on saved posteriors."""
