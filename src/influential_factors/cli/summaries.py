"""Summaries: every run side by side, disentanglement over the seeds, headline metrics, the paper's tables,
the tables page.

Each subcommand's parser and handler side by side: a DVC stage depends on its handler's imports only
(pipeline/code_deps.py).
"""

from __future__ import annotations

from pathlib import Path

from .options import finite_float, non_negative_float, required_paths, run


def _summarize_runs(args) -> None:
    from ..reporting.run_summary import summarize_runs

    summary = summarize_runs(args.runs, args.information, args.tables, args.generation, args.mig, args.anchors,
                             args.output_stem, args.figure, args.metrics, threshold=args.threshold, title=args.title,
                             headline=args.headline, dataset=args.dataset)
    print(summary.to_string(index=False))


def _disentanglement(args) -> None:
    from ..reporting.disentanglement import write_disentanglement

    table = write_disentanglement(args.runs, args.output_stem, args.figure, args.metrics, title=args.title)
    print(table.to_string(index=False))


def _headline_metrics(args) -> None:
    from ..reporting.headline import write_headline

    metrics = write_headline(args.output, args.dataset, args.runs, args.information, args.tables)
    print(f"{args.output}: the headline numbers of {len(metrics)} runs")


def _compare_paper(args) -> None:
    from ..reporting.paper import RunTable, compare_paper

    runs = {}
    for name in ("table1", "table2"):
        companions = [f"--{name}-{option}" for option in ("data", "beta", "epochs")
                      if getattr(args, f"{name}_{option}") is None]
        if getattr(args, name) is not None and companions:
            raise ValueError(f"{getattr(args, name)}: compare-paper needs {', '.join(companions)} with --{name}")
        if getattr(args, name) is not None:
            runs[name] = RunTable(*(getattr(args, f"{name}{option}") for option in ("", "_data", "_beta", "_epochs",
                                                                                      "_source")))
    table, notes = compare_paper(args.output_stem, runs.get("table1"), runs.get("table2"))
    print("\n".join(notes))
    print(table.to_string(index=False))


def _tables_page(args) -> None:
    from ..reporting.report import write_tables_page

    write_tables_page(args.tables, args.output, args.title)
    print(f"{args.output}: {len(args.tables)} tables")


def register(commands) -> None:
    """Add this module's subcommands to the CLI's subparsers."""
    command = commands.add_parser("summarize-runs", help="every run (objective, beta, seed) of a dataset side by side")
    command.add_argument("--runs", required=True, nargs="+", type=run, metavar="OBJECTIVE:BETA:SEED",
                         help="one per run (params.yaml: vae.<dataset>.objectives, betas and seeds)")
    command.add_argument("--information", required=True, nargs="+", type=Path, help="one estimate-mi table per run")
    command.add_argument("--tables", required=True, nargs="+", type=Path, help="one Table 1 (ablate-topk) per run")
    command.add_argument("--generation", required=True, nargs="+", type=Path, help="one generate metrics JSON per run")
    command.add_argument("--mig", nargs="+", type=Path, default=None, help="one mig metrics JSON per run; omit without")
    command.add_argument("--anchors", nargs="+", type=int, default=None,
                         help="the anchor_vae runs' anchored factors (params.yaml: objectives.anchor_vae); omit without")
    command.add_argument("--output-stem", required=True, type=Path, help="writes STEM.csv, .parquet, .md")
    command.add_argument("--figure", required=True, nargs="+", type=Path, help="one or more of .png, .pdf")
    required_paths(command, "metrics")
    command.add_argument("--threshold", required=True, type=finite_float,
                         help="influential above it (nats), for the label (params.yaml: analysis.influential_threshold)")
    command.add_argument("--title", default="", help="the figure's title")
    command.add_argument("--headline", type=Path, default=None,
                         help="also write the dataset's headline metrics JSON here (as headline-metrics does)")
    command.add_argument("--dataset", default="dataset", help="the headline metrics' top-level key")
    command.set_defaults(run=_summarize_runs)
    command = commands.add_parser("disentanglement", help="MIG against log p(x|z) per objective and beta over the "
                                                          "seeds, next to ISA-VAE's paper (its Figure 5)")
    command.add_argument("--runs", required=True, type=Path, help="summarize-runs' table (.parquet) of a dataset with "
                                                                   "known factors")
    required_paths(command, "output_stem")
    command.add_argument("--figure", required=True, nargs="+", type=Path, help="one or more of .png, .pdf")
    required_paths(command, "metrics")
    command.add_argument("--title", default="", help="the figure's title")
    command.set_defaults(run=_disentanglement)
    command = commands.add_parser("headline-metrics", help="a dataset's headline numbers per run, for dvc metrics")
    command.add_argument("--dataset", required=True, help="the dataset, the JSON's top-level key")
    command.add_argument("--runs", required=True, nargs="+", type=run, metavar="OBJECTIVE:BETA:SEED",
                         help="one per run (params.yaml: vae.<dataset>.objectives, betas and seeds)")
    command.add_argument("--information", required=True, nargs="+", type=Path, help="one estimate-mi table per run")
    command.add_argument("--tables", required=True, nargs="+", type=Path,
                         help="one Table 1 (ablate-topk) or Table 2 (classify-topk) per run")
    required_paths(command, "output")
    command.set_defaults(run=_headline_metrics)
    command = commands.add_parser("compare-paper", help="Tables 1 and 2 of this run next to the paper's")
    required_paths(command, "output_stem")
    for table, data in (("table1", "the processed .npz"), ("table2", "the DEAP video folder")):
        command.add_argument(f"--{table}", type=Path, default=None, help="this run's table (CSV); omit to leave it out")
        command.add_argument(f"--{table}-data", type=Path, help=f"{data} it was computed on (counted for the note)")
        command.add_argument(f"--{table}-beta", type=non_negative_float, help="the beta of the VAE behind it")
        command.add_argument(f"--{table}-epochs", type=int, help="the epochs that VAE trained")
        command.add_argument(f"--{table}-source", default="", help="which data, in words (embedded, simulated, real)")
    command.set_defaults(run=_compare_paper)
    command = commands.add_parser("tables-page", help="every Markdown table on one HTML page (the report)")
    command.add_argument("--tables", required=True, nargs="+", type=Path, help="Markdown tables written by save_table")
    required_paths(command, "output")
    command.add_argument("--title", default="Tables", help="the page's title")
    command.set_defaults(run=_tables_page)
