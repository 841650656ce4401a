# Data preparation: raw inputs -> data/processed/<dataset>.npz (uint8 images and labels per split), or
# for DEAP a folder of topographic-map videos.


rule prepare_mnist:
    output:
        "data/processed/mnist.npz",
    params:
        root=lambda w: f"--root {config['data']['mnist']['root']}" if config["data"]["mnist"]["root"] else "",
        download="--download" if config["data"]["mnist"]["download"] else "",
        limit=lambda w: f"--limit {config['data']['mnist']['limit']}" if config["data"]["mnist"]["limit"] else "",
        split=config["data"]["mnist"]["split"],
        seed=config["seed"],
    shell:
        "influential-factors prepare-mnist --output {output} {params.root} {params.download} {params.limit}"
        " --split {params.split} --seed {params.seed}"


def deap_subject_files(wildcards):
    """The sXX.dat files prepare_deap reads: the user's DEAP folder, else the simulated one."""
    deap = config["data"]["deap"]
    root = deap["root"] or DEAP_SIMULATED
    return [f"{root}/s{subject:02d}.dat" for subject in deap["subjects"]]


rule prepare_shapes:
    """The synthetic benchmark's images: 5 known independent factors, drawn from the seed."""
    output:
        "data/processed/shapes.npz",
    params:
        settings=config["data"]["shapes"],
        seed=config["seed"],
    shell:
        "influential-factors prepare-shapes --output {output} --count {params.settings[count]}"
        " --split {params.settings[split]} --seed {params.seed}"


rule prepare_celeba:
    output:
        "data/processed/celeba.npz",
    params:
        root=lambda w: f"--root {config['data']['celeba']['root']}" if config["data"]["celeba"]["root"] else "",
        limit=lambda w: f"--limit {config['data']['celeba']['limit']}" if config["data"]["celeba"]["limit"] else "",
        skip="--skip-corrupt" if config["data"]["celeba"]["skip_corrupt"] else "",
        settings=config["data"]["celeba"],
        split=config["data"]["celeba"]["split"],
        seed=config["seed"],
    threads: workflow.cores
    shell:
        "influential-factors prepare-faces --output {output} {params.root} {params.limit} {params.skip}"
        " --crop {params.settings[crop]} --split-mode {params.settings[split_mode]} --split {params.split}"
        " --seed {params.seed} --workers {threads}"


rule simulate_deap:
    output:
        [f"{DEAP_SIMULATED}/s{subject:02d}.dat" for subject in range(1, max(config["data"]["deap"]["subjects"]) + 1)],
        truth=f"{DEAP_SIMULATED}/ground_truth.json",
    params:
        folder=DEAP_SIMULATED,
        subjects=max(config["data"]["deap"]["subjects"]),
        trials=config["data"]["deap"]["simulated_trials"],
        seed=config["seed"],
    shell:
        "influential-factors simulate-deap --output-dir {params.folder} --subjects {params.subjects}"
        " --trials {params.trials} --seed {params.seed}"


rule prepare_deap:
    input:
        deap_subject_files,
    output:
        DEAP_VIDEOS,
        DEAP_META,
        DEAP_TRUTH,
    params:
        folder=DEAP_PROCESSED,
        root=config["data"]["deap"]["root"] or DEAP_SIMULATED,
        subjects=config["data"]["deap"]["subjects"],
        montage=config["data"]["deap"]["montage"],
        channels=lambda w: "--channels " + " ".join(config["data"]["deap"]["channels"]) if config["data"]["deap"]["channels"] else "",
        bands=" ".join(f"--band {name} {low} {high}" for name, (low, high) in config["data"]["deap"]["bands"].items()),
        baseline=config["data"]["deap"]["baseline"],
        grid_size=config["data"]["deap"]["grid_size"],
        split=config["data"]["deap"]["split"],
        class_threshold=config["data"]["deap"]["class_threshold"],
        seed=config["seed"],
    shell:
        "influential-factors prepare-deap --raw {params.root} --output-dir {params.folder}"
        " --subjects {params.subjects} --montage {params.montage} {params.channels} {params.bands}"
        " --baseline {params.baseline} --grid-size {params.grid_size} --split {params.split}"
        " --class-threshold {params.class_threshold} --seed {params.seed}"
