# The cheap steps that read analysis.influential_threshold: they apply it to what the expensive steps
# (estimate_mi, compare_estimators, ablate_topk, classify_topk) wrote without it, so that changing the
# threshold re-runs these (and the figures and summaries after them), never an estimator, encoder or training.


PARAMS_READ["flag_influential"] = ["analysis.influential_threshold"]


rule flag_influential:
    """estimate_mi's table with the influence flag: the information table every reader sees."""
    input:
        estimates=f"{INFORMATION_ESTIMATES}.parquet",
        code=code_fingerprint("flag_influential"),
    output:
        multiext(INFORMATION, ".csv", ".parquet", ".md"),
    params:
        stem=INFORMATION,
        threshold=config["analysis"]["influential_threshold"],
    log:
        job_log("flag_influential", "{dataset}_{objective}_beta{beta}_seed{seed}"),
    conda:
        "../envs/cluster.yaml"
    shell:
        "influential-factors flag-influential --estimates {input.estimates:q} --output-stem {params.stem:q}"
        " --threshold {params.threshold:q} 2>&1 | tee {log:q}"


PARAMS_READ["influential_metrics"] = ["analysis.influential_threshold"]


rule influential_metrics:
    """Table 1's (images) or Table 2's (DEAP) metrics with the number of influential factors."""
    input:
        topk=TOPK_METRICS,
        estimates=f"{INFORMATION_ESTIMATES}.parquet",
        code=code_fingerprint("influential_metrics"),
    output:
        METRICS,
    params:
        threshold=config["analysis"]["influential_threshold"],
    log:
        job_log("influential_metrics", "{dataset}_{objective}_beta{beta}_seed{seed}"),
    conda:
        "../envs/cluster.yaml"
    shell:
        "influential-factors influential-metrics --topk-metrics {input.topk:q} --estimates {input.estimates:q}"
        " --metrics {output:q} --threshold {params.threshold:q} 2>&1 | tee {log:q}"


PARAMS_READ["summarize_estimators"] = ["analysis.influential_threshold"]


rule summarize_estimators:
    """compare_estimators' totals, influential counts by I_est and the mixture estimator, and their agreement."""
    input:
        estimators=f"{ESTIMATORS}.parquet",
        joint=ESTIMATOR_JOINT,
        code=code_fingerprint("summarize_estimators"),
    output:
        ESTIMATOR_METRICS,
    params:
        threshold=config["analysis"]["influential_threshold"],
    log:
        job_log("summarize_estimators", "{dataset}_{objective}_beta{beta}_seed{seed}"),
    conda:
        "../envs/cluster.yaml"
    shell:
        "influential-factors summarize-estimators --estimators {input.estimators:q} --joint {input.joint:q}"
        " --metrics {output:q} --threshold {params.threshold:q} 2>&1 | tee {log:q}"
