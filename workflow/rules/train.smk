# Training: one VAE per run (dataset, objective, beta, and the seed of its initialisation and batch order), with
# DVCLive curves beside the weights. A killed or failed job leaves model.checkpoint.pt beside the (removed)
# outputs: Snakemake deletes declared outputs only, so the re-run (snakemake --rerun-incomplete, or dvc repro) resumes from it. checkpoint_every reaches the
# command as a resource, not a param: it never changes the weights, and Snakemake re-runs a job whose params
# changed but not one whose resources did, so changing it re-runs nothing (nor does DVC: not in PARAMS_READ).
# Every value reaches the shell quoted ({...:q}; a list: one quoted word per element).


PARAMS_READ["train_vae"] = [
    "objectives.{objective_settings}",
    "vae.{dataset}.sigma2_x",
    "vae.{dataset}.channels",
    "vae.{dataset}.hidden",
    "vae.{dataset}.latents",
    "vae.{dataset}.epochs",
    "vae.{dataset}.batch_size",
    "vae.{dataset}.lr",
    "vae.{dataset}.likelihood",
    "vae.{dataset}.network",
    "training.precision",
    "training.compile",
]


rule train_vae:
    input:
        processed_data,
        attribute_files,
        code=code_fingerprint("train_vae"),
    output:
        model=MODEL,
        summary=TRAINING_SUMMARY,
    params:
        vae=lambda w: {
            key: value for key, value in config["vae"][w.dataset].items() if key not in ("betas", "objectives")
        },
        channels=lambda w: config["vae"][w.dataset]["channels"],
        network=lambda w: config["vae"][w.dataset].get("network", "conv"),  # the schema's default
        objective_settings=objective_settings,
        data=processed_path,
        live_dir=lambda w, output: Path(output.summary).parent,
        precision=config["training"]["precision"],
        compile="--compile" if config["training"]["compile"] else "",
        attribute=attribute_options,
    resources:
        checkpoint_every=config["training"]["checkpoint_every"],  # no re-run on a change: the comment above
    log:
        job_log("train_vae", "{dataset}_{objective}_beta{beta}_seed{seed}"),
    conda:
        "../envs/cluster.yaml"
    shell:
        "influential-factors train-vae --data {params.data:q} --model {output.model:q}"
        " --live-dir {params.live_dir:q} --objective {wildcards.objective:q}"
        " --objective-settings {params.objective_settings:q} --beta {wildcards.beta:q} --sigma2-x {params.vae[sigma2_x]:q}"
        " --channels {params.channels:q} --hidden {params.vae[hidden]:q} --latents {params.vae[latents]:q}"
        " --epochs {params.vae[epochs]:q} --batch-size {params.vae[batch_size]:q} --lr {params.vae[lr]:q}"
        " --likelihood {params.vae[likelihood]:q} --network {params.network:q} --seed {wildcards.seed:q}"
        " --checkpoint-every {resources.checkpoint_every:q} --precision {params.precision:q} {params.compile:q}"
        " {params.attribute:q} 2>&1 | tee {log:q}"
