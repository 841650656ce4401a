# Figures: information per factor against the variance indicator (Figure 1).


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
