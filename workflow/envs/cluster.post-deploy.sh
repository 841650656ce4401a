#!/usr/bin/env bash
# Run by Snakemake in the environment it built from cluster.yaml (--software-deployment-method conda): the
# project itself, whose CLI every rule runs, without dependencies (cluster.yaml's locked ones are there).
set -euo pipefail
pip install --no-deps "$(dirname "${BASH_SOURCE[0]}")/../.."
