# Analysis: encode once, estimate I(x; z_h) per factor, ablate the top-k factors (Table 1 for
# images: reconstruction; Table 2 for DEAP: emotion accuracy).


rule encode:
    wildcard_constraints:
        dataset=IMAGE_DATASETS,
    input:
        model=MODEL,
        data=PROCESSED,
    output:
        POSTERIORS,
    shell:
        "influential-factors encode --model {input.model:q} --data {input.data:q} --output {output:q} --split test"


rule estimate_mi:
    input:
        POSTERIORS,
    output:
        multiext(INFORMATION, ".csv", ".parquet", ".md"),
    params:
        stem=INFORMATION,
        threshold=config["analysis"]["influential_threshold"],
    shell:
        "influential-factors estimate-mi --posteriors {input:q} --output-stem {params.stem:q}"
        " --threshold {params.threshold:q}"


rule mutual_information_gap:
    """The synthetic benchmark on a trained VAE: how many influential factors for the K true ones, and MIG."""
    input:
        posteriors="results/latents/shapes/beta{beta}.npz",
        information="results/mi/shapes/beta{beta}.csv",
        data="data/processed/shapes.npz",
    output:
        multiext(MIG, ".csv", ".parquet", ".md"),
        metrics=MIG_METRICS,
    params:
        stem=MIG,
    shell:
        "influential-factors mig --posteriors {input.posteriors:q} --information {input.information:q}"
        " --data {input.data:q} --output-stem {params.stem:q} --metrics {output.metrics:q}"


rule compare_estimators:
    """Every estimator of I(x; z_h) on the same test posteriors: values, ranks, Spearman agreement."""
    input:
        POSTERIORS,
    output:
        multiext(ESTIMATORS, ".csv", ".parquet", ".md"),
        multiext(AGREEMENT, ".csv", ".parquet", ".md"),
        metrics=ESTIMATOR_METRICS,
    params:
        stem=ESTIMATORS,
        agreement=AGREEMENT,
        threshold=config["analysis"]["influential_threshold"],
        settings=estimator_settings(),
    threads: workflow.cores
    shell:
        "OMP_NUM_THREADS={threads:q} influential-factors compare-estimators --posteriors {input:q}"
        " --output-stem {params.stem:q} --agreement-stem {params.agreement:q} --metrics {output.metrics:q}"
        " --threshold {params.threshold:q} {params.settings:q}"


rule benchmark_estimators:
    """Every estimator against the known I(x; z_h) of synthetic encoders, with the bound each keeps."""
    output:
        multiext(ESTIMATOR_BENCHMARK, ".csv", ".parquet", ".md"),
        metrics=ESTIMATOR_BENCHMARK_METRICS,
    params:
        stem=ESTIMATOR_BENCHMARK,
        samples=config["analysis"]["estimators"]["benchmark_samples"],
        infonce="--infonce" if config["analysis"]["estimators"]["infonce_factors"] else "",
        seed=config["seed"],
    threads: workflow.cores
    shell:
        "OMP_NUM_THREADS={threads:q} influential-factors benchmark-estimators --output-stem {params.stem:q}"
        " --metrics {output.metrics:q} --samples {params.samples:q} --seed {params.seed:q} {params.infonce:q}"


rule encode_videos:
    input:
        model="results/models/deap/beta{beta}/model.pt",
        videos=DEAP_VIDEOS,
        meta=DEAP_META,
    output:
        "results/latents/deap/beta{beta}.npz",
    params:
        folder=DEAP_PROCESSED,
    shell:
        "influential-factors encode-videos --model {input.model:q} --data {params.folder:q} --output {output:q}"


rule ablate_topk:
    wildcard_constraints:
        dataset=IMAGE_DATASETS,
    input:
        model=MODEL,
        data=PROCESSED,
        posteriors=POSTERIORS,
        information=INFORMATION + ".csv",
    output:
        multiext(TABLE1, ".csv", ".parquet", ".md"),
        metrics=METRICS,
    params:
        stem=TABLE1,
        percents=config["analysis"]["topk_percent"],
    shell:
        "influential-factors ablate-topk --model {input.model:q} --data {input.data:q}"
        " --posteriors {input.posteriors:q} --information {input.information:q}"
        " --output-stem {params.stem:q} --metrics {output.metrics:q} --percents {params.percents:q}"


rule classify_topk:
    input:
        posteriors="results/latents/deap/beta{beta}.npz",
        information="results/mi/deap/beta{beta}.csv",
    output:
        multiext(TABLE2, ".csv", ".parquet", ".md"),
        metrics="results/metrics/deap/beta{beta}.json",
    params:
        stem=TABLE2,
        percents=config["analysis"]["topk_percent_emotion"],
        classifier=config["classifier"],
        seeds=config["classifier"]["seeds"],
        retrain="--retrain" if config["classifier"]["retrain"] else "",
    threads: workflow.cores
    shell:
        "OMP_NUM_THREADS={threads:q} influential-factors classify-topk --posteriors {input.posteriors:q}"
        " --information {input.information:q} --output-stem {params.stem:q} --metrics {output.metrics:q}"
        " --percents {params.percents:q} --seeds {params.seeds:q} {params.retrain:q}"
        " --hidden {params.classifier[hidden]:q} --epochs {params.classifier[epochs]:q}"
        " --batch-size {params.classifier[batch_size]:q} --lr {params.classifier[lr]:q}"


rule deap_emotion:
    """The DEAP experiment: frame-wise VAEs, information per factor, Table 2 and Figure 2."""
    input:
        phase_targets("deap", ["train", "encode", "mi", "ablate", "figures"]),
    localrule: True
