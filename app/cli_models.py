"""`redress train|evaluate|retrain|model`: the routing model's commands, registered by app.cli."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from core.clock import utcnow
from core.settings import Settings


def add_commands(commands: argparse._SubParsersAction) -> None:
    train = commands.add_parser("train", help="train a routing model from a labelled CSV file")
    train.add_argument("--data", required=True, type=Path, help="UTF-8 CSV file with a text and a label column")
    train.add_argument("--text-col", default="text", help="name of the text column (default text)")
    train.add_argument("--label-col", default="label", help="name of the label column (default label)")
    train.add_argument("--out", required=True, type=Path, help="directory to write the model to (replaced if present)")
    train.add_argument("--sample", type=int, default=None,
                       help="train on N examples at random (at least one per label): a learning-curve point")
    train.add_argument("--seed", type=int, default=0, help="random seed for --sample (default 0)")
    train.add_argument("--target-precision", type=float, default=0.95,
                       help="precision the auto-route threshold must reach (default 0.95)")
    train.set_defaults(handler=_train)

    evaluate = commands.add_parser("evaluate", help="score a model on a labelled CSV file: quality and speed")
    evaluate.add_argument("--model", required=True, type=Path, help="model directory written by `redress train`")
    evaluate.add_argument("--data", required=True, type=Path, help="UTF-8 CSV file with a text and a label column")
    evaluate.add_argument("--text-col", default="text", help="name of the text column (default text)")
    evaluate.add_argument("--label-col", default="label", help="name of the label column (default label)")
    evaluate.add_argument("--json", action="store_true", help="print the figures as JSON")
    evaluate.set_defaults(handler=_evaluate)

    retrain = commands.add_parser("retrain", help="train a candidate model from the seed corpus and corrections; "
                                  "promote it only if it is not worse on recent corrections")
    retrain.add_argument("--force", action="store_true", help="train even with no corrections since the active model")
    retrain.set_defaults(handler=_retrain)

    model = commands.add_parser("model", help="the routing models: list, promote, roll back").add_subparsers(
        required=True, metavar="ACTION")
    model.add_parser("list", help="every model version, its status and figures, and recent changes").set_defaults(
        handler=_model_list)
    promote = model.add_parser("promote", help="make VERSION the model routing uses")
    promote.add_argument("version", help="a version from `redress model list`")
    promote.add_argument("--reason", default="promoted by hand", help="why, for the record")
    promote.set_defaults(handler=_model_promote)
    rollback = model.add_parser("rollback", help="return to the model that was active before the current one")
    rollback.add_argument("--reason", default="rolled back by hand", help="why, for the record")
    rollback.set_defaults(handler=_model_rollback)


def _sessions(settings: Settings):  # noqa: ANN202 - a sessionmaker
    from core.db import make_engine, make_sessionmaker

    return make_sessionmaker(make_engine(settings.database_url))


def _progress() -> Callable[[str], None]:
    """Progress lines on stderr with the seconds so far, so a long run is visibly alive and stdout stays clean."""
    started = time.perf_counter()
    return lambda message: print(f"[{time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr, flush=True)


def _train(_settings: Settings, args: argparse.Namespace) -> int:
    from classifier.data import read_labelled
    from classifier.training import sample, train

    if not 0 < args.target_precision < 1:
        print("redress: --target-precision must be between 0 and 1, e.g. 0.95", file=sys.stderr)
        return 2
    say = _progress()
    say(f"reading {args.data}")
    examples = read_labelled(args.data, text_col=args.text_col, label_col=args.label_col)
    if args.sample is not None:
        examples = sample(examples, args.sample, seed=args.seed)
    _, card = train(examples, args.out, now=utcnow(), source=args.data.name, target_precision=args.target_precision,
                    progress=say)
    metrics = card["metrics"]
    print(f"model {card['version']} in {args.out}: {card['examples']} examples, {len(card['labels'])} labels, "
          f"trained in {card['training_seconds']:.2f}s; cross-validated macro-F1 {metrics['cv_macro_f1']:.3f}, "
          f"auto-route threshold {card['threshold']:.3f} (precision {metrics['cv_precision_at_threshold']:.3f}, "
          f"coverage {metrics['cv_coverage_at_threshold']:.3f})")
    return 0


def _evaluate(_settings: Settings, args: argparse.Namespace) -> int:
    from classifier import files
    from classifier.data import read_labelled
    from classifier.evaluate import evaluate

    say = _progress()
    model, card = files.load(args.model)
    say(f"reading {args.data}")
    examples = read_labelled(args.data, text_col=args.text_col, label_col=args.label_col)
    figures = evaluate(model, examples, card=card, progress=say)
    if args.json:
        print(json.dumps(figures, indent=2, ensure_ascii=False))
        return 0
    route = figures["auto_route"]
    print(f"model {figures['model_version']} on {figures['examples']} examples")
    print(f"accuracy {figures['accuracy']:.3f}  macro-F1 {figures['macro_f1']:.3f}  "
          f"weighted-F1 {figures['weighted_f1']:.3f}")
    print(f"{'label':<28}{'precision':>10}{'recall':>8}{'F1':>7}{'support':>9}")
    for label, row in figures["per_label"].items():
        print(f"{label:<28}{row['precision']:>10.3f}{row['recall']:>8.3f}{row['f1']:>7.3f}{row['support']:>9}")
    precision = "n/a" if route["precision"] is None else f"{route['precision']:.3f}"
    print(f"auto-route at the model's thresholds: precision {precision}, coverage {route['coverage']:.3f}")
    print(f"latency p50 {figures['latency_ms']['p50']:.2f} ms, p99 {figures['latency_ms']['p99']:.2f} ms; "
          f"batch {figures['throughput_per_second']:,} texts/s; trained in {figures['training_seconds']}s")
    return 0


def _retrain(settings: Settings, args: argparse.Namespace) -> int:
    from app.routing_model import retrain
    result = retrain(_sessions(settings), settings=settings, now=utcnow(), actor="cli",
                     force=args.force, progress=_progress())
    print(f"{result.version or 'no model trained'}: {result.reason}")
    return 0


def _model_list(settings: Settings, _args: argparse.Namespace) -> int:
    from core.db import transaction
    from routing import registry

    with transaction(_sessions(settings)) as session:
        rows = registry.versions(session)
        if not rows:
            print("no models yet; `redress init --demo` or `redress retrain` trains one")
            return 0
        print(f"{'version':<28}{'status':<11}{'created (UTC)':<18}{'examples':>9}{'corrections':>12}  figures")
        for row in rows:
            card = row.figures.get("card", {})
            held = row.figures.get("candidate")
            figures = f"cv macro-F1 {card.get('cv_macro_f1', float('nan')):.3f}"
            if held:
                figures += f"; held-back macro-F1 {held['macro_f1']:.3f}"
            print(f"{row.version:<28}{row.status.value:<11}{row.created_at:%Y-%m-%d %H:%M}  {row.examples:>9}"
                  f"{row.corrections:>12}  {figures}")
        print("\nrecent changes:")
        for change in registry.changes(session, limit=10):
            print(f"  {change.at:%Y-%m-%d %H:%M} {change.action:<12} {change.version} by {change.actor}: "
                  f"{change.reason}")
    return 0


def _model_promote(settings: Settings, args: argparse.Namespace) -> int:
    from core.db import transaction
    from routing import registry

    with transaction(_sessions(settings)) as session:
        row = registry.promote(session, version=args.version, now=utcnow(), actor="cli", reason=args.reason)
        print(f"model {row.version} is now active")
    return 0


def _model_rollback(settings: Settings, args: argparse.Namespace) -> int:
    from core.db import transaction
    from routing import registry

    with transaction(_sessions(settings)) as session:
        row = registry.rollback(session, now=utcnow(), actor="cli", reason=args.reason)
        print(f"rolled back: model {row.version} is active again")
    return 0
