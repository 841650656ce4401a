# Figures: information per factor against the variance indicator (Figures 1 and 2), traversals of the
# influential factors of faces (Figures 3 and 6), and the emotion-relevant factors of DEAP (Figure 5).


rule plot_information:
    input:
        INFORMATION + ".csv",
    output:
        multiext(FIGURE1, ".png", ".pdf"),
    params:
        threshold=config["analysis"]["influential_threshold"],
    shell:
        "influential-factors plot-information --information {input} --output {output}"
        " --threshold {params.threshold} --title '{wildcards.dataset}, beta={wildcards.beta}'"


rule plot_traversals:
    input:
        model=MODEL,
        posteriors=POSTERIORS,
        information=INFORMATION + ".csv",
    output:
        multiext(TRAVERSALS, ".png", ".pdf"),
    params:
        settings=config["analysis"]["traversals"],
    shell:
        "influential-factors plot-traversals --model {input.model} --posteriors {input.posteriors}"
        " --information {input.information} --output {output} --threshold {params.settings[threshold]}"
        " --max-factors {params.settings[max_factors]} --seed-images {params.settings[seed_images]}"
        " --title '{wildcards.dataset}, beta={wildcards.beta}'"


rule emotion_factors:
    """Figure 5: traversals of the top factors, the accuracy each one costs, and on simulated data
    their agreement with the planted scalp patterns."""
    input:
        model="results/models/deap/beta{beta}/model.pt",
        posteriors="results/latents/deap/beta{beta}.npz",
        information="results/mi/deap/beta{beta}.csv",
        videos=DEAP_VIDEOS,
        meta=DEAP_META,
        truth=DEAP_TRUTH,
    output:
        multiext(EMOTION_FACTORS, ".csv", ".parquet", ".md"),
        figure=multiext(FIGURE5, ".png", ".pdf"),
        metrics=EMOTION_METRICS,
    params:
        stem=EMOTION_FACTORS,
        folder=DEAP_PROCESSED,
        truth=lambda w, input: f"--ground-truth {input.truth}" if input.truth else "",
        settings=config["analysis"]["emotion_factors"],
        classifier=config["classifier"],
        seeds=config["classifier"]["seeds"],
    threads: workflow.cores
    shell:
        "OMP_NUM_THREADS={threads} influential-factors emotion-factors --model {input.model}"
        " --posteriors {input.posteriors} --information {input.information} --data {params.folder} {params.truth}"
        " --output-stem {params.stem} --figure {output.figure} --metrics {output.metrics}"
        " --n-factors {params.settings[count]} --min-loss-increase {params.settings[min_loss_increase]}"
        " --pattern-threshold {params.settings[pattern_threshold]} --title 'DEAP, beta={wildcards.beta}'"
        " --seeds {params.seeds} --hidden {params.classifier[hidden]} --epochs {params.classifier[epochs]}"
        " --batch-size {params.classifier[batch_size]} --lr {params.classifier[lr]}"
