# Analysis: encode the test split once, estimate I(x; z_h) per factor, ablate the top-k factors.


rule encode:
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


rule ablate_topk:
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
