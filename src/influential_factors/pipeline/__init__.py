"""Layer 7, pipeline: the workflow's plumbing: parameters and their validation, the file layout, dvc.yaml's
stages and code dependencies, `make reproduce`."""
