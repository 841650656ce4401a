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
        "influential-factors encode --model {input.model} --data {input.data} --output {output} --split test"


rule estimate_mi:
    input:
        POSTERIORS,
    output:
        multiext(INFORMATION, ".csv", ".parquet", ".md"),
    params:
        stem=INFORMATION,
        threshold=config["analysis"]["influential_threshold"],
    shell:
        "influential-factors estimate-mi --posteriors {input} --output-stem {params.stem}"
        " --threshold {params.threshold}"


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
        "influential-factors encode-videos --model {input.model} --data {params.folder} --output {output}"


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
        "influential-factors ablate-topk --model {input.model} --data {input.data}"
        " --posteriors {input.posteriors} --information {input.information}"
        " --output-stem {params.stem} --metrics {output.metrics} --percents {params.percents}"


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
        "OMP_NUM_THREADS={threads} influential-factors classify-topk --posteriors {input.posteriors}"
        " --information {input.information} --output-stem {params.stem} --metrics {output.metrics}"
        " --percents {params.percents} --seeds {params.seeds} {params.retrain}"
        " --hidden {params.classifier[hidden]} --epochs {params.classifier[epochs]}"
        " --batch-size {params.classifier[batch_size]} --lr {params.classifier[lr]}"


rule deap_emotion:
    """The DEAP experiment: frame-wise VAEs, information per factor, Table 2 and Figure 2."""
    input:
        phase_targets("deap", ["train", "encode", "mi", "ablate", "figures"]),
    localrule: True
