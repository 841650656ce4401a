# Analysis: encode once, estimate I(x; z_h) per factor, ablate the top-k factors (Table 1 for
# images: reconstruction; Table 2 for DEAP: emotion accuracy).


PARAMS_READ["encode"] = []


rule encode:
    wildcard_constraints:
        dataset=IMAGE_DATASETS,
    input:
        model=MODEL,
        data=PROCESSED,
        code=code_fingerprint("encode"),
    output:
        POSTERIORS,
    log:
        job_log("encode", "{dataset}_{objective}_beta{beta}_seed{seed}"),
    conda:
        "../envs/cluster.yaml"
    shell:
        "influential-factors encode --model {input.model:q} --data {input.data:q} --output {output:q} --split test 2>&1 | tee {log:q}"


PARAMS_READ["estimate_mi"] = []


rule estimate_mi:
    """Algorithm 1 per factor, before any threshold: flag_influential applies it (thresholds.smk)."""
    input:
        posteriors=POSTERIORS,
        code=code_fingerprint("estimate_mi"),
    output:
        multiext(INFORMATION_ESTIMATES, ".csv", ".parquet", ".md"),
    params:
        stem=INFORMATION_ESTIMATES,
    log:
        job_log("estimate_mi", "{dataset}_{objective}_beta{beta}_seed{seed}"),
    conda:
        "../envs/cluster.yaml"
    shell:
        "influential-factors estimate-mi --posteriors {input.posteriors:q} --output-stem {params.stem:q} 2>&1 | tee {log:q}"


PARAMS_READ["mutual_information_gap"] = []


rule mutual_information_gap:
    """A dataset with known true factors: how many influential factors for the K true ones, and MIG."""
    wildcard_constraints:
        dataset=KNOWN_FACTOR_DATASETS,
    input:
        posteriors=POSTERIORS,
        information=f"{INFORMATION}.csv",
        data=PROCESSED,
        code=code_fingerprint("mutual_information_gap"),
    output:
        multiext(MIG, ".csv", ".parquet", ".md"),
        metrics=MIG_METRICS,
    params:
        stem=MIG,
    log:
        job_log("mutual_information_gap", "{dataset}_{objective}_beta{beta}_seed{seed}"),
    conda:
        "../envs/cluster.yaml"
    shell:
        "influential-factors mig --posteriors {input.posteriors:q} --information {input.information:q}"
        " --data {input.data:q} --output-stem {params.stem:q} --metrics {output.metrics:q} 2>&1 | tee {log:q}"


PARAMS_READ["compare_estimators"] = [
    "seed",
    "analysis.estimators.mixture_samples",
    "analysis.estimators.infonce_factors",
]


rule compare_estimators:
    """Every estimator of I(x; z_h) on the same test posteriors: values, ranks, Spearman agreement (the summary
    at the threshold: summarize_estimators)."""
    input:
        posteriors=POSTERIORS,
        code=code_fingerprint("compare_estimators"),
    output:
        multiext(ESTIMATORS, ".csv", ".parquet", ".md"),
        multiext(AGREEMENT, ".csv", ".parquet", ".md"),
        joint=ESTIMATOR_JOINT,
    params:
        stem=ESTIMATORS,
        agreement=AGREEMENT,
        settings=estimator_settings(),
    log:
        job_log("compare_estimators", "{dataset}_{objective}_beta{beta}_seed{seed}"),
    conda:
        "../envs/cluster.yaml"
    shell:
        "influential-factors compare-estimators --posteriors {input.posteriors:q}"
        " --output-stem {params.stem:q} --agreement-stem {params.agreement:q} --joint {output.joint:q}"
        " {params.settings:q} 2>&1 | tee {log:q}"


PARAMS_READ["benchmark_estimators"] = [
    "seed",
    "analysis.estimators.benchmark_samples",
    "analysis.estimators.infonce_factors",
]


rule benchmark_estimators:
    """Every estimator against the known I(x; z_h) of synthetic encoders, with the bound each keeps."""
    input:
        code=code_fingerprint("benchmark_estimators"),
    output:
        multiext(ESTIMATOR_BENCHMARK, ".csv", ".parquet", ".md"),
        metrics=ESTIMATOR_BENCHMARK_METRICS,
    params:
        stem=output_stem,
        samples=config["analysis"]["estimators"]["benchmark_samples"],
        infonce="--infonce" if config["analysis"]["estimators"]["infonce_factors"] else "",
        seed=config["seed"],
    log:
        job_log("benchmark_estimators"),
    conda:
        "../envs/cluster.yaml"
    shell:
        "influential-factors benchmark-estimators --output-stem {params.stem:q}"
        " --metrics {output.metrics:q} --samples {params.samples:q} --seed {params.seed:q} {params.infonce:q} 2>&1 | tee {log:q}"


PARAMS_READ["encode_videos"] = []


rule encode_videos:
    input:
        model=for_dataset(MODEL, "deap"),
        videos=DEAP_VIDEOS,
        meta=DEAP_META,
        code=code_fingerprint("encode_videos"),
    output:
        for_dataset(POSTERIORS, "deap"),
    params:
        folder=lambda w, input: Path(input.videos).parent,
    log:
        job_log("encode_videos", "{objective}_beta{beta}_seed{seed}"),
    conda:
        "../envs/cluster.yaml"
    shell:
        "influential-factors encode-videos --model {input.model:q} --data {params.folder:q} --output {output:q} 2>&1 | tee {log:q}"


PARAMS_READ["ablate_topk"] = ["analysis.topk_percent", "analysis.traversals.seed_images", "data.{dataset}.root"]


rule ablate_topk:
    """Table 1 and Figure 4 (test images decoded from the top-k% factors) from one load of the model."""
    wildcard_constraints:
        dataset=IMAGE_DATASETS,
    input:
        model=MODEL,
        data=PROCESSED,
        posteriors=POSTERIORS,
        information=f"{INFORMATION_ESTIMATES}.csv",
        code=code_fingerprint("ablate_topk"),
    output:
        multiext(TABLE1, ".csv", ".parquet", ".md"),
        metrics=TOPK_METRICS,
        figure=[
            report(
                f"{TOPK_GENERATION}.png",
                caption="../report/topk_generation.rst",
                category="{dataset}",
                subcategory="{objective}, beta {beta}, seed {seed}",
                labels={"figure": "generation from the top k% (Figure 4)"},
            ),
            f"{TOPK_GENERATION}.pdf",
        ],
    params:
        stem=TABLE1,
        percents=config["analysis"]["topk_percent"],
        images=config["analysis"]["traversals"]["seed_images"],
        title=run_title,
    log:
        job_log("ablate_topk", "{dataset}_{objective}_beta{beta}_seed{seed}"),
    conda:
        "../envs/cluster.yaml"
    shell:
        "influential-factors ablate-topk --model {input.model:q} --data {input.data:q}"
        " --posteriors {input.posteriors:q} --information {input.information:q}"
        " --output-stem {params.stem:q} --metrics {output.metrics:q} --figure {output.figure:q}"
        " --percents {params.percents:q} --images {params.images:q} --title {params.title:q} 2>&1 | tee {log:q}"


PARAMS_READ["classify_topk"] = ["classifier", "analysis.topk_percent_emotion"]


rule classify_topk:
    input:
        posteriors=for_dataset(POSTERIORS, "deap"),
        information=for_dataset(INFORMATION_ESTIMATES, "deap") + ".csv",
        code=code_fingerprint("classify_topk"),
    output:
        multiext(TABLE2, ".csv", ".parquet", ".md"),
        metrics=for_dataset(TOPK_METRICS, "deap"),
    params:
        stem=TABLE2,
        percents=config["analysis"]["topk_percent_emotion"],
        classifier=config["classifier"],
        seeds=config["classifier"]["seeds"],
        retrain="--retrain" if config["classifier"]["retrain"] else "",
    log:
        job_log("classify_topk", "{objective}_beta{beta}_seed{seed}"),
    conda:
        "../envs/cluster.yaml"
    shell:
        "influential-factors classify-topk --posteriors {input.posteriors:q}"
        " --information {input.information:q} --output-stem {params.stem:q} --metrics {output.metrics:q}"
        " --percents {params.percents:q} --seeds {params.seeds:q} {params.retrain:q}"
        " --hidden {params.classifier[hidden]:q} --epochs {params.classifier[epochs]:q}"
        " --batch-size {params.classifier[batch_size]:q} --lr {params.classifier[lr]:q} 2>&1 | tee {log:q}"


rule deap_emotion:
    """The DEAP experiment: frame-wise VAEs, information per factor, Table 2 and Figure 2."""
    input:
        phase_targets("deap", ["train", "encode", "mi", "ablate", "figures"]),
    localrule: True
