# Data preparation: raw inputs -> data/processed/<dataset>.npz (uint8 images and labels per split).


rule prepare_mnist:
    output:
        "data/processed/mnist.npz",
    params:
        root=lambda w: f"--root {config['data']['mnist']['root']}" if config["data"]["mnist"]["root"] else "",
        download="--download" if config["data"]["mnist"]["download"] else "",
        limit=lambda w: f"--limit {config['data']['mnist']['limit']}" if config["data"]["mnist"]["limit"] else "",
        split=config["data"]["mnist"]["split"],
        seed=config["seed"],
    shell:
        "influential-factors prepare-mnist --output {output} {params.root} {params.download} {params.limit}"
        " --split {params.split} --seed {params.seed}"
