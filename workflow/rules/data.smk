# Data preparation: raw inputs -> data/processed/<dataset>.npz (uint8 images and labels per split), or
# for DEAP a folder of topographic-map videos. Every value from params.yaml reaches the shell quoted
# ({...:q}; a list becomes one quoted word per element), so a path with spaces, quotes or `;` stays one
# argument. Optional options are lists of words ([] when absent), quoted the same way.


PARAMS_READ["prepare_mnist"] = ["seed", "data.mnist"]


rule prepare_mnist:
    input:
        mnist_raw_files,
        code=code_fingerprint("prepare_mnist"),
    output:
        for_dataset(PROCESSED, "mnist"),
    params:
        root=lambda w: ["--root", config["data"]["mnist"]["root"]] if config["data"]["mnist"]["root"] else [],
        download="--download" if config["data"]["mnist"]["download"] else "",
        limit=lambda w: ["--limit", config["data"]["mnist"]["limit"]] if config["data"]["mnist"]["limit"] else [],
        split=config["data"]["mnist"]["split"],
        seed=config["seed"],
    log:
        job_log("prepare_mnist"),
    conda:
        "../envs/cluster.yaml"
    shell:
        "influential-factors prepare-mnist --output {output:q} {params.root:q} {params.download:q} {params.limit:q}"
        " --split {params.split:q} --seed {params.seed:q} 2>&1 | tee {log:q}"


PARAMS_READ["prepare_shapes"] = ["seed", "data.shapes"]


rule prepare_shapes:
    """The synthetic benchmark's images: 5 known independent factors, drawn from the seed."""
    input:
        code=code_fingerprint("prepare_shapes"),
    output:
        for_dataset(PROCESSED, "shapes"),
    params:
        settings=config["data"]["shapes"],
        seed=config["seed"],
    log:
        job_log("prepare_shapes"),
    conda:
        "../envs/cluster.yaml"
    shell:
        "influential-factors prepare-shapes --output {output:q} --count {params.settings[count]:q}"
        " --split {params.settings[split]:q} --seed {params.seed:q} 2>&1 | tee {log:q}"


PARAMS_READ["prepare_celeba"] = ["seed", "data.celeba"]


rule prepare_celeba:
    input:
        celeba_raw_files,
        code=code_fingerprint("prepare_celeba"),
    output:
        for_dataset(PROCESSED, "celeba"),
    params:
        root=lambda w: ["--root", config["data"]["celeba"]["root"]] if config["data"]["celeba"]["root"] else [],
        limit=lambda w: ["--limit", config["data"]["celeba"]["limit"]] if config["data"]["celeba"]["limit"] else [],
        skip="--skip-corrupt" if config["data"]["celeba"]["skip_corrupt"] else "",
        settings=config["data"]["celeba"],
        split=config["data"]["celeba"]["split"],
        seed=config["seed"],
    log:
        job_log("prepare_celeba"),
    conda:
        "../envs/cluster.yaml"
    shell:
        "influential-factors prepare-faces --output {output:q} {params.root:q} {params.limit:q} {params.skip:q}"
        " --crop {params.settings[crop]:q} --split-mode {params.settings[split_mode]:q} --split {params.split:q}"
        " --seed {params.seed:q} --workers {threads:q} 2>&1 | tee {log:q}"


PARAMS_READ["simulate_deap"] = ["seed", "data.deap.subjects", "data.deap.simulated_trials"]


rule simulate_deap:
    input:
        code=code_fingerprint("simulate_deap"),
    output:
        [
            str(subject_path(DEAP_SIMULATED, subject))
            for subject in range(1, max(config["data"]["deap"]["subjects"]) + 1)
        ],
        truth=DEAP_SIMULATED_TRUTH,
    params:
        folder=lambda w, output: Path(output.truth).parent,
        subjects=max(config["data"]["deap"]["subjects"]),
        trials=config["data"]["deap"]["simulated_trials"],
        seed=config["seed"],
    log:
        job_log("simulate_deap"),
    conda:
        "../envs/cluster.yaml"
    shell:
        "influential-factors simulate-deap --output-dir {params.folder:q} --subjects {params.subjects:q}"
        " --trials {params.trials:q} --seed {params.seed:q} 2>&1 | tee {log:q}"


PARAMS_READ["prepare_deap"] = ["seed", "data.deap"]


rule prepare_deap:
    input:
        deap_subject_files,
        code=code_fingerprint("prepare_deap"),
    output:
        videos=DEAP_VIDEOS,
        meta=DEAP_META,
        truth=DEAP_TRUTH,
    params:
        folder=lambda w, output: Path(output.videos).parent,
        root=config["data"]["deap"]["root"] or DEAP_SIMULATED,
        subjects=config["data"]["deap"]["subjects"],
        montage=config["data"]["deap"]["montage"],
        channels=lambda w: (
            ["--channels", *config["data"]["deap"]["channels"]] if config["data"]["deap"]["channels"] else []
        ),
        bands=[
            word
            for name, (low, high) in config["data"]["deap"]["bands"].items()
            for word in ("--band", name, low, high)
        ],
        baseline=config["data"]["deap"]["baseline"],
        grid_size=config["data"]["deap"]["grid_size"],
        split=config["data"]["deap"]["split"],
        class_threshold=config["data"]["deap"]["class_threshold"],
        seed=config["seed"],
    log:
        job_log("prepare_deap"),
    conda:
        "../envs/cluster.yaml"
    shell:
        "influential-factors prepare-deap --raw {params.root:q} --output-dir {params.folder:q}"
        " --subjects {params.subjects:q} --montage {params.montage:q} {params.channels:q} {params.bands:q}"
        " --baseline {params.baseline:q} --grid-size {params.grid_size:q} --split {params.split:q}"
        " --class-threshold {params.class_threshold:q} --seed {params.seed:q} 2>&1 | tee {log:q}"


PARAMS_READ["prepare_dataset"] = ["seed", "data.{dataset}"]


rule prepare_dataset:
    """A registered image dataset with a module of its own (influential_factors/registry.py): the generic
    preparation, its module's images(settings, seed) split and saved."""
    wildcard_constraints:
        dataset=GENERIC_DATASETS,
    input:
        registered_raw_files,
        code=code_fingerprint("prepare_dataset", "{dataset}"),
    output:
        PROCESSED,
    log:
        job_log("prepare_dataset", "{dataset}"),
    params:
        settings=lambda w: json.dumps(config["data"][w.dataset], sort_keys=True),
        seed=config["seed"],
    conda:
        "../envs/cluster.yaml"
    shell:
        "influential-factors prepare-dataset --dataset {wildcards.dataset:q} --output {output:q}"
        " --settings {params.settings:q} --seed {params.seed:q} 2>&1 | tee {log:q}"
