"""Layer 3, models: the VAE, its objectives and their critics, training, and encoding into posteriors."""
