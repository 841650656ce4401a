"""The measured numbers of README.md and docs/*.md, written from the committed files.

Every block between `<!-- generated: NAME -->` and `<!-- end generated -->` is rewritten by the function
NAME of BLOCKS from results/metrics/**/*.json, tests/benchmarks/default_run.md, params.yaml and paper.py.

    python -m influential_factors.reporting.docs_tables           # rewrite the blocks
    python -m influential_factors.reporting.docs_tables --check   # list the files whose blocks are stale; exit 1 if any
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import sys
from pathlib import Path

import pandas as pd
import yaml

from .paper import PAPER_DATA, PAPER_TABLE1, PAPER_TABLE2, closest_beta

BLOCK = re.compile(r"(<!-- generated: (\w+) -->\n).*?(<!-- end generated -->)", re.S)
METRICS = Path("results/metrics")


def documents(root: Path) -> list[Path]:
    """The files that may hold generated blocks."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def metrics(root: Path, *parts: str) -> dict:
    """A committed metrics JSON under results/metrics."""
    return json.loads((root / METRICS).joinpath(*parts).read_text())


@functools.cache
def params(root: Path) -> dict:
    """params.yaml, read once per run of the generator (six blocks read it); callers do not modify it."""
    return yaml.safe_load((root / "params.yaml").read_text())


def table(header: list[str], rows: list[list]) -> str:
    """A Markdown table; numbers right-aligned."""
    first = rows[0] if rows else [None] * len(header)
    align = ["--:" if isinstance(value, (int, float)) else ":--" for value in first]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def cell(value) -> str:
    """A number as the tables show it: 3 decimals below 1, else 1; nothing for a missing value."""
    if value is None:
        return ""
    if isinstance(value, float):
        return "0" if value == 0 else f"{value:.3f}" if abs(value) < 1 else f"{value:.1f}"
    return str(value)


def percent(share: float) -> str:
    return f"{share:.0%}"


def source(path: str) -> str:
    return f"Source: `{METRICS / path}`."


def betas(settings: dict, dataset: str) -> list[float]:
    return settings["vae"][dataset]["betas"]


def first_seed(settings: dict, dataset: str) -> int:
    return settings["vae"][dataset]["seeds"][0]


def tag(beta: float, seed: int) -> str:
    """A run's name in its files (layout.RUN_TAG)."""
    return f"beta{beta:g}_seed{seed}"


RUN_NAME = re.compile(r"^(?P<prefix>.*?)_?beta(?P<beta>[^_]+)_seed(?P<seed>\d+)$")


def split_run(name: str) -> tuple[str, str, int]:
    """`<prefix>_beta<beta>_seed<seed>` (a file's stem or a metrics key) as (prefix, beta, seed)."""
    match = RUN_NAME.match(name)
    if match is None:
        raise ValueError(f"{name!r} does not end in beta<beta>_seed<seed>")
    return match["prefix"], match["beta"], int(match["seed"])


def runs_of(root: Path, pattern: str) -> list[Path]:
    """The metrics files matching `pattern`, by folder and then by the beta and seed ending their name."""
    def order(path: Path) -> tuple:
        _, beta, seed = split_run(path.stem)
        return path.parent, float(beta), seed

    return sorted((root / METRICS).glob(pattern), key=order)


def headline(root: Path) -> str:
    """The README's one-sentence result: MNIST at the beta nearest the paper's Table 1."""
    settings = params(root)
    beta = closest_beta(betas(settings, "mnist"), "table1")
    run = metrics(root, "mnist", "runs.json")[f"beta_vae_{tag(beta, first_seed(settings, 'mnist'))}"]
    return (f"In the committed run, {run['n_influential']} of the {settings['vae']['mnist']['latents']} MNIST"
            f" factors carry more than {settings['analysis']['influential_threshold']:g} nats at beta = {beta:g}:"
            f" {run['I_total']:.1f} nats in all, {percent(run['top10_share'])} of it in the top 10% of the factors.")


def settings_table(root: Path) -> str:
    """What the default run trains: data, grids, epochs (params.yaml)."""
    settings, rows = params(root), []
    for dataset in settings["datasets"]:
        vae = settings["vae"][dataset]
        data = settings["data"][dataset]
        kind = "simulated" if dataset == "deap" else "drawn" if dataset in ("shapes", "dsprites") else "embedded"
        others = ", ".join(f"{name} {grid}" for name, grid in vae.get("objectives", {}).items() if grid)
        rows.append([dataset, kind if data.get("root") is None else "`data.{}.root`".format(dataset),
                     str(vae["betas"]), others, str(vae["seeds"]), vae["epochs"], vae["latents"]])
    return table(["dataset", "data", "beta-VAE betas", "other objectives: betas", "seeds", "epochs", "latents"], rows)


def table1(root: Path) -> str:
    """MNIST Table 1: the reconstruction error with the top k% factors, next to the paper's."""
    settings = params(root)
    beta = closest_beta(betas(settings, "mnist"), "table1")
    run = tag(beta, first_seed(settings, "mnist"))
    ours = metrics(root, "mnist", "beta_vae", f"{run}.json")
    rows = [[f"{k:g}", ours["I_used"].get(f"top{k:g}"), used, ours["mse"].get(f"top{k:g}"), mse]
            for k, used, mse in PAPER_TABLE1[["top_percent", "I_used", "score"]].itertuples(index=False)]
    return "\n".join([
        f"MNIST, beta = {beta:g}, {settings['vae']['mnist']['epochs']} epochs; I_est total {ours['I_total']:.1f}"
        f" nats, {ours['n_influential']} influential factors. Paper: {PAPER_DATA['table1']}.", "",
        table(["top % of factors", "I_used, this run (nats)", "I_used, paper", "error, this run", "error, paper"],
              rows), "",
        source(f"mnist/beta_vae/{run}.json")])


def table2(root: Path) -> str:
    """DEAP Table 2: emotion accuracy with the top k% factors, next to the paper's."""
    settings = params(root)
    beta = closest_beta(betas(settings, "deap"), "table2")
    run = tag(beta, first_seed(settings, "deap"))
    ours = metrics(root, "deap", "beta_vae", f"{run}.json")
    rows = [[f"{k:g}", ours["I_used"].get(f"top{k:g}"), used, ours["accuracy"].get(f"top{k:g}"),
             ours["accuracy_std"].get(f"top{k:g}"), accuracy]
            for k, used, accuracy in PAPER_TABLE2[["top_percent", "I_used", "score"]].itertuples(index=False)]
    return "\n".join([
        f"DEAP, beta = {beta:g}, VAE {settings['vae']['deap']['epochs']} epochs, mean accuracy over"
        f" {len(settings['classifier']['seeds'])} classifier seeds; I_est total {ours['I_total']:.1f} nats,"
        f" {ours['n_influential']} influential factors. Paper: {PAPER_DATA['table2']}.", "",
        table(["top % of factors", "I_used, this run (nats)", "I_used, paper", "accuracy, this run", "std over seeds",
               "accuracy, paper"], rows), "",
        source(f"deap/beta_vae/{run}.json")])


def faces(root: Path) -> str:
    """The faces' reconstruction error with the top k% factors, per beta."""
    settings, rows = params(root), []
    tops = settings["analysis"]["topk_percent"]
    for beta in betas(settings, "celeba"):
        seed = first_seed(settings, "celeba")
        run = metrics(root, "celeba", "beta_vae", f"{tag(beta, seed)}.json")
        rows.append([f"{beta:g}", run["I_total"], run["n_influential"], *(run["mse"].get(f"top{k:g}") for k in tops)])
    return "\n".join([
        table(["beta", "I_est total", "influential", *(f"error, top {k:g}%" for k in tops)], rows), "",
        source("celeba/beta_vae/beta<B>_seed<S>.json")])


def runs(root: Path) -> str:
    """Every run of every dataset side by side (runs.json)."""
    rows = []
    for path in sorted((root / METRICS).glob("*/runs.json")):
        for name, run in json.loads(path.read_text()).items():
            objective, beta, seed = split_run(name)
            rows.append([path.parent.name, objective, beta, seed, run["I_total"], run["n_influential"],
                         percent(run["top10_share"]), run["mse"], run["qstar_gain"], run.get("mig"),
                         run.get("anchors_in_top")])
    return "\n".join([
        table(["dataset", "objective", "beta", "seed", "I_est total", "influential", "top 10% share",
               "error, all factors", "q* gain", "MIG", "anchors in top"],
              sorted(rows, key=lambda row: (*row[:2], float(row[2]), row[3]))), "",
        source("<dataset>/runs.json")])


def supervised(root: Path) -> str:
    """MMVAE and its baselines: where the label's information went, and the attribute swap."""
    rows = []
    for path in runs_of(root, "*/*/supervised_beta*.json"):
        run = json.loads(path.read_text())
        rows.append([path.parts[-3], run["objective"], f"{run['beta']:g}", split_run(path.stem)[2], run["H_y"], run["I_z_y"], run["I_c_y"],
                     run["I_z_c"], run["I_est_z"], run["I_est_c"], run["swap_accuracy"]])
    classifier = metrics(root, "mnist", "attribute_classifier.json")
    return "\n".join([
        table(["dataset", "objective", "beta", "seed", "H(y)", "I(z; y)", "I(c; y)", "I(z; c)", "I_est in z",
               "I_est in c", "swap accuracy"], rows), "",
        f"The swap is judged by MNIST's attribute classifier: test accuracy {classifier['test_accuracy']:.3f},"
        f" chance {classifier['chance']:.3f}. {source('<dataset>/<objective>/supervised_beta<B>_seed<S>.json')}"])


def mig(root: Path) -> str:
    """The influential factors against the true factors, and the MIG, per run of a dataset with known factors."""
    rows = []
    for path in runs_of(root, "*/*/mig_beta*.json"):
        run = json.loads(path.read_text())
        rows.append([path.parts[-3], path.parts[-2], *split_run(path.stem)[1:], run["n_influential"],
                     run["true_factors"], run.get("factors_on_influential_codes"), run["mig"], run.get("mig_influential")])
    return "\n".join([
        table(["dataset", "objective", "beta", "seed", "influential", "true factors",
               "true factors whose best code is influential", "MIG, all codes", "MIG, influential codes"], rows), "", source("<dataset>/<objective>/mig_beta<B>_seed<S>.json")])


def disentanglement(root: Path) -> str:
    """MIG and log p(x|z) over the seeds per objective and beta, next to ISA-VAE's representative models."""
    rows = []
    for path in sorted((root / METRICS).glob("*/disentanglement.json")):
        frame = pd.read_csv(root / "results/tables" / path.parent.name / "disentanglement.csv")
        for row in frame.itertuples():
            rows.append([path.parent.name, row.objective, f"{row.beta:g}", row.seeds,
                         f"{row.mig_mean:.3f} ± {row.mig_se:.3f}", f"{row.mig_upper_half:.3f}", _or_dash(row.mig_paper),
                         f"{row.log_px_mean:.1f} ± {row.log_px_se:.1f}", _or_dash(row.log_px_paper)])
    return "\n".join([
        table(["dataset", "objective", "beta", "seeds", "MIG, mean ± s.e.", "MIG, upper half", "MIG, paper",
               "log p(x|z), mean ± s.e.", "log p(x|z), paper"], rows), "",
        "The paper's numbers are its representative models on dSprites (the mean of the upper half of 50 models' "
        "MIG, appendix Figures 8-15); `upper half` is that statistic over this run's seeds. "
        "Source: `results/tables/<dataset>/disentanglement.csv`."])


def _or_dash(value: float) -> str:
    return "–" if pd.isna(value) else f"{value:g}"


def emotion_factors(root: Path) -> str:
    """Figure 5 against the simulator's planted patterns."""
    settings = params(root)
    beta = closest_beta(betas(settings, "deap"), "table2")
    name = f"emotion_factors_{tag(beta, first_seed(settings, 'deap'))}"
    run = metrics(root, "deap", "beta_vae", f"{name}.json")
    truth = run["ground_truth"]

    def factors(indices: list[int]) -> str:
        return ", ".join(f"z{index}" for index in indices) or "none"

    return (f"Of the {truth['flagged_total'] + truth['unflagged_total']} top factors, {len(truth['varies_pattern'])}"
            f" vary a planted pattern (|r| >= {truth['pattern_threshold']:g} with its channel weights):"
            f" {factors(truth['varies_pattern'])}. Flagged emotion-relevant: {factors(truth['flagged'])}"
            f" ({truth['flagged_varying']} of the {truth['flagged_total']} vary a pattern); the check"
            f" {'holds' if truth['agrees'] else 'fails'} (`agrees: {str(truth['agrees']).lower()}`)."
            f" {source(f'deap/beta_vae/{name}.json')}")


def estimators(root: Path) -> str:
    """Algorithm 1 against the mixture estimator on every beta-VAE of the run."""
    rows = []
    for path in runs_of(root, "*/beta_vae/estimators_beta*.json"):
        run = json.loads(path.read_text())
        rows.append([path.parts[-3], *split_run(path.stem)[1:], run["total_I_est"],
                     run["total_I_mixture"], run["spearman_I_est_I_mixture"],
                     f"{run['n_influential_I_est']} / {run['n_influential_I_mixture']}",
                     percent(run["top_influential_agree"]), run["active_units"],
                     f"{run['I_joint_mixture']:.2f}{' (cap)' if run['joint_at_cap'] else ''}"])
    return "\n".join([
        table(["dataset", "beta", "seed", "I_est total", "I_mixture total", "Spearman", "influential: I_est / I_mixture",
               "same top set", "active units", "I(x; z), mixture"], rows), "",
        source("<dataset>/beta_vae/estimators_beta<B>_seed<S>.json")])


def synthetic(root: Path) -> str:
    """Every estimator against encoders with known I: the largest error per factor, and the whole code's."""
    run = metrics(root, "estimators_synthetic.json")
    cases = ("gaussian", "offset", "bimodal")
    names = sorted({key.split("/")[1] for key in run["max_abs_error_per_factor"]})
    rows = [[f"`{name}`", *(run["max_abs_error_per_factor"][f"{case}/{name}"] for case in cases),
             *(run["joint_error"].get(f"{case}/{name}") for case in cases)] for name in names]
    return "\n".join([
        table(["estimator", *(f"largest \\|error\\|, {case}" for case in cases),
               *(f"whole code, {case}" for case in cases)], rows), "",
        f"Every upper bound above and every lower bound below the truth: {'yes' if run['bounds_hold'] else 'no'}."
        f" {source('estimators_synthetic.json')}"])


def _benchmark(root: Path, name: str) -> str:
    """A benchmark's Markdown as its script last wrote it (its first line, a comment, left out)."""
    text = (root / "tests/benchmarks" / name).read_text().strip()
    return "\n".join(line for line in text.splitlines() if not line.startswith("<!--")).strip()


def default_run(root: Path) -> str:
    """What `make reproduce` cost (tests/benchmarks/bench_default_run.py)."""
    return _benchmark(root, "default_run.md")


def threshold_change(root: Path) -> str:
    """What a change of the influential threshold re-ran, and in how long (bench_threshold_change.py)."""
    return _benchmark(root, "threshold_change.md")


def dsprites_cost(root: Path) -> str:
    """What ISA-VAE's dSprites preset costs to train (bench_dsprites_cost.py)."""
    return _benchmark(root, "dsprites_cost.md")


def _summary(path: Path) -> str:
    """The first sentence of a module's docstring, on one line (a sentence ends at a full stop before a capital)."""
    import ast

    text = " ".join((ast.get_docstring(ast.parse(path.read_text())) or "").split())
    return re.split(r"\.\s+(?=[A-Z])", text)[0].rstrip(".")  # "et al. 2018" and "Eqs. 7-11" go on


def code_map(root: Path) -> str:
    """docs/development.md's map of the package: each layer folder, bottom first, and its modules, each with the
    first sentence of its docstring (the folders and docstrings are the source; a new module appears here)."""
    from .. import LAYERS

    package = root / "src" / "influential_factors"
    lines = []
    for layer in LAYERS:
        lines.append(f"- **`{layer}/`** {_summary(package / layer / '__init__.py')}")
        for path in sorted((package / layer).rglob("*.py")):
            if path.name != "__init__.py" or path.parent != package / layer:
                name = path.relative_to(package / layer)
                lines.append(f"  - `{name}`: {_summary(path)}")
    return "\n".join(lines)


def moved(root: Path) -> str:
    """Where each module of the flat package lives now (influential_factors.MOVED; the old names still import)."""
    from .. import MOVED

    return table(["old module", "now"], [[f"`influential_factors.{old}`", f"`influential_factors.{new}`"]
                                         for old, new in MOVED.items()])


BLOCKS = {"headline": headline, "settings": settings_table, "table1": table1, "table2": table2, "faces": faces,
          "runs": runs, "supervised": supervised, "mig": mig, "disentanglement": disentanglement,
          "emotion_factors": emotion_factors,
          "estimators": estimators, "synthetic": synthetic, "default_run": default_run,
          "code_map": code_map, "moved": moved, "threshold_change": threshold_change, "dsprites_cost": dsprites_cost}


def render(text: str, root: Path) -> str:
    """`text` with every generated block rewritten."""
    def fill(match: re.Match) -> str:
        if match[2] not in BLOCKS:
            raise ValueError(f"unknown generated block {match[2]!r}; known: {', '.join(BLOCKS)}")
        return match[1] + BLOCKS[match[2]](root) + "\n" + match[3]

    return BLOCK.sub(fill, text)


def block_names(text: str) -> list[str]:
    return [match[2] for match in BLOCK.finditer(text)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("."), help="the project's root (default: .)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a block is stale")
    args = parser.parse_args(argv)
    stale = []
    for path in documents(args.root):
        text = path.read_text()
        new = render(text, args.root)
        if new != text:
            stale.append(path)
            if not args.check:
                path.write_text(new)
    for path in stale:
        print(f"{'stale' if args.check else 'rewrote'}: {path}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
