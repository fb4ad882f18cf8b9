"""``python -m cnnapps summary MODEL``: the layer table of a registered model (torchinfo).

Prints one row per leaf layer (type, kernel, stride, padding, output shape, parameters,
multiply-adds) and the totals, from a random-weights build: nothing is loaded or downloaded.
"""

from __future__ import annotations

import argparse
import sys

from cnnapps.errors import CnnappsError

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("summary", help="layer table of a model: shapes, parameters, multiply-adds",
                            description=__doc__.split("\n")[0])
    parser.add_argument("model", help="registry name, e.g. lenet5, alexnet, vgg16, resnet18, resnet50, "
                        "mobilenet_v2_tflite (python -m cnnapps list shows them all)")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table",
                        help="table: aligned text (default); csv/json: the rows for other tools")
    parser.add_argument("--out", default="-", help="file to write, or - for stdout (default)")
    parser.set_defaults(run=run)


def _text_table(rows: list[dict], totals: list[str]) -> str:
    cols = ["layer", "type", "kernel", "stride", "padding", "output shape", "parameters", "mult-adds"]
    cells = [[f"{r[c]:,}" if isinstance(r[c], int) and c in ("parameters", "mult-adds") else str(r[c])
              for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    right = {"parameters", "mult-adds"}
    fmt = lambda vals: "  ".join(v.rjust(w) if c in right else v.ljust(w)  # noqa: E731
                                 for v, w, c in zip(vals, widths, cols, strict=True)).rstrip()
    lines = [fmt(cols), fmt(["-" * w for w in widths]), *(fmt(r) for r in cells), "", *totals]
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    from cnnapps.explorer.architectures import summarise

    try:
        s = summarise(args.model)
    except CnnappsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    rows = s.table()
    if args.format == "table":
        totals = [f"{s.display_name}: input {' x '.join(map(str, s.input_shape))}",
                  f"total parameters: {s.total_params:,} (trainable {s.trainable_params:,})",
                  f"multiply-adds per image: {s.mult_adds:,} ({s.mult_adds / 1e9:.2f} G)",
                  f"weight layers (conv + fc): {s.weight_layers}",
                  "counted by torchinfo on a random-weights build"]
        text = _text_table(rows, totals)
    elif args.format == "json":
        import json

        text = json.dumps({"model": s.model_name, "input_shape": list(s.input_shape),
                           "total_params": s.total_params, "trainable_params": s.trainable_params,
                           "mult_adds": s.mult_adds, "weight_layers": s.weight_layers, "layers": rows},
                          indent=1) + "\n"
    else:
        import csv
        import io

        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        text = buf.getvalue()
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    return 0
