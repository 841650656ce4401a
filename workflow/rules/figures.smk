# Figures: information per factor against the variance indicator (Figures 1 and 2), traversals of the
# influential factors (Figures 1, 3, 5-8), generation from the top-k% factors (Figure 4) and from the prior
# and q*, every run of a dataset side by side, the emotion-relevant factors of DEAP (Figure 5), and the
# tables next to the paper's.
# Every figure is marked for Snakemake's report (captions in workflow/report/); see report.smk.


PARAMS_READ["plot_information"] = [
    "analysis.influential_threshold",
    "data.{dataset}.root",
]  # the root: the title names the data


rule plot_information:
    input:
        information=f"{INFORMATION_ESTIMATES}.csv",  # flagged by the figure's own threshold: runs beside flag_influential
        code=code_fingerprint("plot_information"),
    output:
        report(
            f"{FIGURE1}.png",
            caption="../report/information.rst",
            category="{dataset}",
            subcategory="{objective}, beta {beta}, seed {seed}",
            labels={"figure": "information per factor (Figures 1, 2)"},
        ),
        f"{FIGURE1}.pdf",
    params:
        threshold=config["analysis"]["influential_threshold"],
        title=run_title,
    log:
        job_log("plot_information", "{dataset}_{objective}_beta{beta}_seed{seed}"),
    conda:
        "../envs/cluster.yaml"
    shell:
        "influential-factors plot-information --information {input.information:q} --output {output:q}"
        " --threshold {params.threshold:q} --title {params.title:q} 2>&1 | tee {log:q}"


PARAMS_READ["plot_traversals"] = ["analysis.traversals", "data.{dataset}.root"]  # the root: the title names the data


rule plot_traversals:
    input:
        model=MODEL,
        posteriors=POSTERIORS,
        information=f"{INFORMATION_ESTIMATES}.csv",
        layout=lambda w: [DEAP_META] if w.dataset == "deap" else [],  # electrodes and head outline
        code=code_fingerprint("plot_traversals"),
    output:
        report(
            f"{TRAVERSALS}.png",
            caption="../report/traversals.rst",
            category="{dataset}",
            subcategory="{objective}, beta {beta}, seed {seed}",
            labels={"figure": "traversals (Figures 1, 3, 5-8)"},
        ),
        f"{TRAVERSALS}.pdf",
    params:
        settings=config["analysis"]["traversals"],
        scalp=lambda w: ["--topomap-meta", DEAP_META] if w.dataset == "deap" else [],
        title=run_title,
    log:
        job_log("plot_traversals", "{dataset}_{objective}_beta{beta}_seed{seed}"),
    conda:
        "../envs/cluster.yaml"
    shell:
        "influential-factors plot-traversals --model {input.model:q} --posteriors {input.posteriors:q}"
        " --information {input.information:q} --output {output:q} --threshold {params.settings[threshold]:q}"
        " --max-factors {params.settings[max_factors]:q} --seed-images {params.settings[seed_images]:q}"
        " {params.scalp:q} --title {params.title:q} 2>&1 | tee {log:q}"


PARAMS_READ["generate"] = [
    "seed",
    "analysis.generation.samples",
    "data.{dataset}.root",
]  # the root: the title names the data


rule generate:
    """Decoded from the prior and from Algorithm 1's q* side by side, and how close each sampler's codes lie to
    the held-out aggregate posterior (Gao et al. 2019, section 6.3)."""
    wildcard_constraints:
        dataset=IMAGE_DATASETS,
    input:
        model=MODEL,
        posteriors=POSTERIORS,
        code=code_fingerprint("generate"),
    output:
        figure=[
            report(
                f"{GENERATION}.png",
                caption="../report/generation.rst",
                category="{dataset}",
                subcategory="{objective}, beta {beta}, seed {seed}",
                labels={"figure": "generation from the prior and q*"},
            ),
            f"{GENERATION}.pdf",
        ],
        metrics=GENERATION_METRICS,
    params:
        samples=config["analysis"]["generation"]["samples"],
        seed=config["seed"],
        title=run_title,
    log:
        job_log("generate", "{dataset}_{objective}_beta{beta}_seed{seed}"),
    conda:
        "../envs/cluster.yaml"
    shell:
        "influential-factors generate --model {input.model:q} --posteriors {input.posteriors:q}"
        " --output {output.figure:q} --metrics {output.metrics:q} --samples {params.samples:q} --seed {params.seed:q}"
        " --title {params.title:q} 2>&1 | tee {log:q}"


PARAMS_READ["summarize_runs"] = [
    "vae.{dataset}.betas",
    "vae.{dataset}.objectives",
    "objectives.anchor_vae.anchors",
    "analysis.influential_threshold",
    "data.{dataset}.root",
]


rule summarize_runs:
    """Every run of a dataset side by side: information, its concentration in the top factors, reconstruction
    error, generation, and (shapes) MIG, against objective and beta."""
    wildcard_constraints:
        dataset=IMAGE_DATASETS,
    input:
        unpack(run_summary_inputs),
        code=code_fingerprint("summarize_runs"),
    output:
        multiext(RUN_SUMMARY, ".csv", ".parquet", ".md"),
        figure=[
            report(
                f"{RUN_SUMMARY_FIGURE}.png",
                caption="../report/run_summary.rst",
                category="{dataset}",
                subcategory="all runs",
                labels={"figure": "objectives and betas side by side"},
            ),
            f"{RUN_SUMMARY_FIGURE}.pdf",
        ],
        metrics=RUN_SUMMARY_METRICS,
        headline=HEADLINE_METRICS,
    params:
        stem=RUN_SUMMARY,
        options=run_summary_options,
        threshold=config["analysis"]["influential_threshold"],
        title=lambda w: dataset_title(w.dataset),
    log:
        job_log("summarize_runs", "{dataset}"),
    conda:
        "../envs/cluster.yaml"
    shell:
        "influential-factors summarize-runs {params.options:q} --information {input.information:q}"
        " --tables {input.tables:q} --generation {input.generation:q} --output-stem {params.stem:q}"
        " --figure {output.figure:q} --metrics {output.metrics:q} --headline {output.headline:q} --dataset {wildcards.dataset:q}"
        " --threshold {params.threshold:q} --title {params.title:q} 2>&1 | tee {log:q}"


PARAMS_READ["disentanglement"] = []


rule disentanglement:
    """A dataset with known factors: MIG against log p(x|z) per objective and beta, over the seeds, next to the
    ISA-VAE paper's representative models (its Figure 5)."""
    wildcard_constraints:
        dataset=KNOWN_FACTOR_DATASETS,
    input:
        runs=f"{RUN_SUMMARY}.parquet",
        code=code_fingerprint("disentanglement"),
    output:
        multiext(DISENTANGLEMENT, ".csv", ".parquet", ".md"),
        figure=[
            report(
                f"{DISENTANGLEMENT_FIGURE}.png",
                caption="../report/disentanglement.rst",
                category="{dataset}",
                subcategory="all runs",
                labels={"figure": "MIG against reconstruction"},
            ),
            f"{DISENTANGLEMENT_FIGURE}.pdf",
        ],
        metrics=DISENTANGLEMENT_METRICS,
    params:
        stem=DISENTANGLEMENT,
        title=lambda w: dataset_title(w.dataset),
    log:
        job_log("disentanglement", "{dataset}"),
    conda:
        "../envs/cluster.yaml"
    shell:
        "influential-factors disentanglement --runs {input.runs:q} --output-stem {params.stem:q}"
        " --figure {output.figure:q} --metrics {output.metrics:q} --title {params.title:q} 2>&1 | tee {log:q}"


PARAMS_READ["headline_metrics"] = ["vae.{dataset}.betas", "vae.{dataset}.objectives"]


rule headline_metrics:
    """A video dataset's headline numbers per run (summarize_runs writes an image dataset's): total I_est,
    influential factors, Table 2's accuracy at the top 10%."""
    wildcard_constraints:
        dataset=VIDEO_DATASETS,
    input:
        information=lambda w: run_paths([f"{INFORMATION}.csv"], w.dataset),
        tables=lambda w: run_paths([f"{TABLE2}.csv"], w.dataset),
        code=code_fingerprint("headline_metrics"),
    output:
        HEADLINE_METRICS,
    params:
        runs=lambda w: [":".join(run) for run in runs(w.dataset)],
    log:
        job_log("headline_metrics", "{dataset}"),
    conda:
        "../envs/cluster.yaml"
    shell:
        "influential-factors headline-metrics --dataset {wildcards.dataset:q} --runs {params.runs:q} --information {input.information:q}"
        " --tables {input.tables:q} --output {output:q} 2>&1 | tee {log:q}"


PARAMS_READ["compare_paper"] = [
    "datasets",
    "data.mnist.root",
    "data.deap.root",
    "vae.mnist.betas",
    "vae.mnist.epochs",
    "vae.deap.betas",
    "vae.deap.epochs",
]


rule compare_paper:
    """The project's Table 1 (MNIST) and Table 2 (DEAP) next to the paper's numbers, with the data that made them."""
    input:
        unpack(paper_comparison_inputs),
        code=code_fingerprint("compare_paper"),
    output:
        multiext(PAPER_COMPARISON, ".csv", ".parquet", ".md"),
    params:
        stem=output_stem,
        options=paper_comparison_options,
    log:
        job_log("compare_paper"),
    conda:
        "../envs/cluster.yaml"
    shell:
        "influential-factors compare-paper --output-stem {params.stem:q} {params.options:q} 2>&1 | tee {log:q}"


PARAMS_READ["emotion_factors"] = ["classifier", "analysis.emotion_factors", "data.deap.root"]


rule emotion_factors:
    """Figure 5: traversals of the top factors, the accuracy each one costs, and on simulated data
    their agreement with the planted scalp patterns."""
    input:
        model=for_dataset(MODEL, "deap"),
        posteriors=for_dataset(POSTERIORS, "deap"),
        information=for_dataset(INFORMATION_ESTIMATES, "deap") + ".csv",
        videos=DEAP_VIDEOS,
        meta=DEAP_META,
        truth=DEAP_TRUTH,
        code=code_fingerprint("emotion_factors"),
    output:
        multiext(EMOTION_FACTORS, ".csv", ".parquet", ".md"),
        figure=[
            report(
                f"{FIGURE5}.png",
                caption="../report/emotion_factors.rst",
                category="deap",
                subcategory="{objective}, beta {beta}, seed {seed}",
                labels={"figure": "emotion-relevant factors (Figure 5)"},
            ),
            f"{FIGURE5}.pdf",
        ],
        metrics=EMOTION_METRICS,
    params:
        stem=EMOTION_FACTORS,
        folder=lambda w, input: Path(input.videos).parent,
        truth=lambda w, input: ["--ground-truth", *input.truth] if input.truth else [],
        settings=config["analysis"]["emotion_factors"],
        classifier=config["classifier"],
        seeds=config["classifier"]["seeds"],
        title=run_title,
    log:
        job_log("emotion_factors", "{objective}_beta{beta}_seed{seed}"),
    conda:
        "../envs/cluster.yaml"
    shell:
        "influential-factors emotion-factors --model {input.model:q}"
        " --posteriors {input.posteriors:q} --information {input.information:q} --data {params.folder:q} {params.truth:q}"
        " --output-stem {params.stem:q} --figure {output.figure:q} --metrics {output.metrics:q}"
        " --n-factors {params.settings[count]:q} --min-loss-increase {params.settings[min_loss_increase]:q}"
        " --pattern-threshold {params.settings[pattern_threshold]:q} --title {params.title:q}"
        " --seeds {params.seeds:q} --hidden {params.classifier[hidden]:q} --epochs {params.classifier[epochs]:q}"
        " --batch-size {params.classifier[batch_size]:q} --lr {params.classifier[lr]:q} 2>&1 | tee {log:q}"
