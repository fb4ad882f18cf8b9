"""``python -m cnnapps list``: the registered models, one line each."""

from __future__ import annotations

import argparse

from cnnapps.cli.common import add_output_args, write_records

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("list", help="list the models (offline ones first)",
                            description="List the registered models and whether they work offline.")
    parser.add_argument("--task", default=None, help="only this task's models")
    add_output_args(parser, formats=("table", "csv", "json"))
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from cnnapps.registry import TASKS, list_models

    if args.task is not None and args.task not in TASKS:
        print(f"error: unknown task {args.task!r}; known: {', '.join(TASKS)}")
        return 2
    rows = [{"name": s.name, "task": s.task, "offline": s.works_offline, "head": s.head,
             "display_name": s.display_name} for s in list_models(args.task)]
    if (args.format or "table") != "table":
        write_records(rows, args.format, args.out)
        return 0
    width = max((len(r["name"]) for r in rows), default=4)
    lines = [f"{'name':<{width}}  {'task':<15} {'offline':<8} display name"]
    lines += [f"{r['name']:<{width}}  {r['task']:<15} {'yes' if r['offline'] else 'download':<8} "
              f"{r['display_name']}" for r in rows]
    text = "\n".join(lines) + "\n"
    if args.out is None:
        print(text, end="")
    else:
        args.out.write_text(text, encoding="utf-8")
    return 0
