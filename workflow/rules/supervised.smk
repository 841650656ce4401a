# The supervised objectives (MMVAE and its baselines, objectives/mmvae.py): an image classifier of each
# dataset's attribute, the judge of the attribute swap, and per run the thesis's evaluation: MINE's I(z; y),
# I(z; c), I(c; y) against H(y), Algorithm 1's information in z and in c, and the swap (its Tables 2, 3 and
# Figure 10).


PARAMS_READ["train_attribute_classifier"] = [
    "seed",
    "objectives.mmvae.attributes.{dataset}",
    "vae.{dataset}.channels",
    "analysis.supervised.classifier",
]


rule train_attribute_classifier:
    """A CNN that tells the attribute from an image: it judges whether a decoded image shows the attribute
    value its code c was set to (the thesis's Table 3)."""
    wildcard_constraints:
        dataset=IMAGE_DATASETS,
    input:
        data=PROCESSED,
        attributes=lambda w: supervised_attribute_files(w.dataset),
        code=code_fingerprint("train_attribute_classifier"),
    output:
        model=ATTRIBUTE_CLASSIFIER,
        metrics=ATTRIBUTE_CLASSIFIER_METRICS,
    params:
        attribute=lambda w: supervised_attribute_options(w.dataset),
        channels=lambda w: config["vae"][w.dataset]["channels"],
        settings=config["analysis"]["supervised"]["classifier"],
        seed=config["seed"],
    log:
        job_log("train_attribute_classifier", "{dataset}"),
    conda:
        "../envs/cluster.yaml"
    shell:
        "influential-factors train-attribute-classifier --data {input.data:q} {params.attribute:q}"
        " --output {output.model:q} --metrics {output.metrics:q} --channels {params.channels:q}"
        " --epochs {params.settings[epochs]:q} --batch-size {params.settings[batch_size]:q}"
        " --lr {params.settings[lr]:q} --seed {params.seed:q} 2>&1 | tee {log:q}"


PARAMS_READ["evaluate_supervised"] = [
    "seed",
    "objectives.mmvae.attributes.{dataset}",
    "analysis.supervised.mine_steps",
    "analysis.supervised.swap_images",
]


rule evaluate_supervised:
    """The thesis's Table 2 (MINE), Table 3 (attribute swap) and Figure 10 for one supervised run, with
    Algorithm 1's information of z and c."""
    wildcard_constraints:
        dataset=IMAGE_DATASETS,
        objective="|".join(SUPERVISED),
    input:
        model=MODEL,
        data=PROCESSED,
        posteriors=POSTERIORS,
        information=f"{INFORMATION_ESTIMATES}.csv",
        classifier=ATTRIBUTE_CLASSIFIER,
        attributes=attribute_files,
        code=code_fingerprint("evaluate_supervised"),
    output:
        multiext(SUPERVISED_TABLE, ".csv", ".parquet", ".md"),
        figure=[
            report(
                f"{ATTRIBUTE_SWAP}.png",
                caption="../report/attribute_swap.rst",
                category="{dataset}",
                subcategory="{objective}, beta {beta}, seed {seed}",
                labels={"figure": "attribute swap (Figure 10)"},
            ),
            f"{ATTRIBUTE_SWAP}.pdf",
        ],
        metrics=SUPERVISED_METRICS,
    params:
        stem=SUPERVISED_TABLE,
        attribute=attribute_options,
        settings=config["analysis"]["supervised"],
        seed=config["seed"],
    log:
        job_log("evaluate_supervised", "{dataset}_{objective}_beta{beta}_seed{seed}"),
    conda:
        "../envs/cluster.yaml"
    shell:
        "influential-factors evaluate-supervised --model {input.model:q} --data {input.data:q} {params.attribute:q}"
        " --posteriors {input.posteriors:q} --information {input.information:q} --classifier {input.classifier:q}"
        " --output-stem {params.stem:q} --figure {output.figure:q} --metrics {output.metrics:q}"
        " --seed {params.seed:q} --mine-steps {params.settings[mine_steps]:q}"
        " --swap-images {params.settings[swap_images]:q} 2>&1 | tee {log:q}"
