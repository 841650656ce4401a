"""Training: a VAE under one objective, the attribute classifier that judges swaps.

Each subcommand's parser and handler side by side: a DVC stage depends on its handler's imports only
(pipeline/code_deps.py).
"""

from __future__ import annotations

from pathlib import Path

from .options import attribute_options, json_mapping, non_negative_float, positive_float, positive_int, required_paths


def _train_vae(args) -> None:
    from ..data.attributes import Attribute
    from ..models.training import train_vae

    if args.attribute and not args.dataset:
        raise ValueError("train-vae: --attribute needs --dataset (how the data's labels read)")
    attribute = Attribute(args.dataset, args.attribute, args.celeba_root) if args.attribute else None
    summary = train_vae(args.data, args.model, args.live_dir, objective=args.objective,
                        objective_settings=args.objective_settings, beta=args.beta, sigma2_x=args.sigma2_x,
                        channels=args.channels, hidden=args.hidden, latents=args.latents, epochs=args.epochs,
                        batch_size=args.batch_size, lr=args.lr, seed=args.seed, likelihood=args.likelihood,
                        network=args.network, checkpoint_every=args.checkpoint_every, precision=args.precision,
                        compile_model=args.compile, attribute=attribute)
    print(f"{args.model}: " + ", ".join(f"{name} {value:.3f}" for name, value in summary.items()))


def _train_attribute_classifier(args) -> None:
    from ..evaluation.attribute_classifier import train_attribute_classifier
    from ..data.attributes import Attribute

    metrics = train_attribute_classifier(args.data, Attribute(args.dataset, args.attribute, args.celeba_root),
                                         args.output, args.metrics, channels=args.channels, epochs=args.epochs,
                                         batch_size=args.batch_size, lr=args.lr, seed=args.seed)
    print(f"{args.output}: {args.attribute} ({', '.join(metrics['classes'])}) test accuracy "
          f"{metrics['test_accuracy']:.3f}, chance {metrics['chance']:.3f}")


def register(commands) -> None:
    """Add this module's subcommands to the CLI's subparsers."""
    command = commands.add_parser("train-vae", help="train a VAE under one objective on a processed data set")
    required_paths(command, "data", "model", "live_dir")
    command.add_argument("--objective", required=True,
                         help="the objective (params.yaml: vae.<dataset>.betas for beta_vae, vae.<dataset>.objectives)")
    command.add_argument("--objective-settings", required=True, type=json_mapping,
                         help="the objective's settings as a JSON object (params.yaml: objectives.<objective>; {} for beta_vae)")
    command.add_argument("--beta", required=True, type=non_negative_float,
                         help="weight of the KL term, beta_tcvae: of the total correlation (params.yaml:"
                              " vae.<dataset>.betas or vae.<dataset>.objectives.<objective>)")
    command.add_argument("--sigma2-x", required=True, type=positive_float,
                         help="likelihood noise variance (params.yaml: vae.<dataset>.sigma2_x)")
    command.add_argument("--likelihood", required=True, choices=["gaussian", "mixture", "bernoulli"],
                         help="p(x|z) (params.yaml: vae.<dataset>.likelihood)")
    command.add_argument("--network", required=True, choices=["conv", "mlp"],
                         help="conv: the paper's; mlp: beta-TCVAE's (params.yaml: vae.<dataset>.network, default conv)")
    command.add_argument("--channels", required=True, nargs="+", type=int,
                         help="conv stack channels, unused by --network mlp (params.yaml: vae.<dataset>.channels)")
    command.add_argument("--hidden", required=True, type=int,
                         help="the fully connected layers' width (params.yaml: vae.<dataset>.hidden)")
    command.add_argument("--latents", required=True, type=int, help="params.yaml: vae.<dataset>.latents")
    command.add_argument("--epochs", required=True, type=int, help="params.yaml: vae.<dataset>.epochs")
    command.add_argument("--batch-size", required=True, type=int, help="params.yaml: vae.<dataset>.batch_size")
    command.add_argument("--lr", required=True, type=positive_float, help="params.yaml: vae.<dataset>.lr")
    command.add_argument("--seed", required=True, type=int, help="params.yaml: seed")
    command.add_argument("--checkpoint-every", required=True, type=positive_int,
                         help="save a resumable checkpoint beside the model every N epochs (removed on success;"
                              " params.yaml: training.checkpoint_every)")
    command.add_argument("--precision", required=True, choices=["float32", "bf16"],
                         help="bf16: the network under bfloat16 autocast (GPUs), the loss in float32"
                              " (params.yaml: training.precision)")
    command.add_argument("--compile", action="store_true",
                         help="train through torch.compile (GPUs; params.yaml: training.compile)")
    attribute_options(command, required=False)
    command.set_defaults(run=_train_vae)
    command = commands.add_parser("train-attribute-classifier",
                                  help="the thesis's Table 3 judge: a CNN classifying an attribute from the images")
    required_paths(command, "data")
    attribute_options(command)
    command.add_argument("--output", required=True, type=Path, help="the classifier written (.pt)")
    required_paths(command, "metrics")
    command.add_argument("--channels", required=True, nargs="+", type=positive_int,
                         help="conv stack channels, one 4x4 stride-2 layer each, as the VAE's encoder"
                              " (params.yaml: vae.<dataset>.channels)")
    command.add_argument("--epochs", required=True, type=positive_int,
                         help="passes over the train split (params.yaml: analysis.supervised.classifier.epochs)")
    command.add_argument("--batch-size", required=True, type=positive_int,
                         help="images per Adam step (params.yaml: analysis.supervised.classifier.batch_size)")
    command.add_argument("--lr", required=True, type=positive_float,
                         help="Adam's learning rate (params.yaml: analysis.supervised.classifier.lr)")
    command.add_argument("--seed", required=True, type=int,
                         help="seeds the weights and the batch order (params.yaml: seed)")
    command.set_defaults(run=_train_attribute_classifier)
