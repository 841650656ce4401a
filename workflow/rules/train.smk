# Training: one beta-VAE per (dataset, beta), with DVCLive curves beside the weights. A killed or failed
# job leaves model.checkpoint.pt beside the (removed) outputs: Snakemake deletes declared outputs only,
# so the re-run (snakemake --rerun-incomplete, or dvc repro) resumes from it. checkpoint_every is read
# from config in the command, not as a param: it never changes the weights, so changing it re-runs nothing.


rule train_vae:
    input:
        processed_data,
    output:
        model=MODEL,
        summary=TRAINING_SUMMARY,
    params:
        vae=lambda w: {key: value for key, value in config["vae"][w.dataset].items() if key != "betas"},
        channels=lambda w: config["vae"][w.dataset]["channels"],
        seed=config["seed"],
        data=processed_path,
        live_dir=lambda w, output: Path(output.summary).parent,
        precision=config["training"]["precision"],
        compile="--compile" if config["training"]["compile"] else "",
    threads: workflow.cores
    shell:
        "OMP_NUM_THREADS={threads} influential-factors train-vae --data {params.data} --model {output.model}"
        " --live-dir {params.live_dir} --beta {wildcards.beta} --sigma2-x {params.vae[sigma2_x]}"
        " --channels {params.channels} --hidden {params.vae[hidden]} --latents {params.vae[latents]}"
        " --epochs {params.vae[epochs]} --batch-size {params.vae[batch_size]} --lr {params.vae[lr]}"
        " --likelihood {params.vae[likelihood]} --seed {params.seed}"
        " --checkpoint-every {config[training][checkpoint_every]} --precision {params.precision} {params.compile}"
