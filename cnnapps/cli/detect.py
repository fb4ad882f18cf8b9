"""``python -m cnnapps detect FILE_OR_DIR_OR_VIDEO...``: boxes as CSV, JSON or COCO JSON.

One record per box: file, frame (videos; empty for photos), class, score, x1, y1, x2, y2 in
original pixels. A file that cannot be read becomes a record with its error (exit code 0 if any
file worked). ``--save-annotated DIR`` writes each photo with its boxes as PNG and each video as
an annotated H.264 MP4.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cnnapps.cli.common import (
    add_engine_args,
    add_model_arg,
    add_output_args,
    expand_inputs,
    load_or_exit,
    run_items,
    run_on_ray,
    write_records,
)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif")
VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".webm", ".mkv", ".m4v")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "detect",
        help="find COCO objects in photos and videos",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("inputs", nargs="+", help="photos, videos or directories of them")
    add_model_arg(p, "detection")
    p.set_defaults(model="yolo-fastest-1.1-xl")  # the better bundled model, not the first by name
    p.add_argument("--conf", type=float, default=0.25, help="score threshold, 0..1 (default 0.25)")
    p.add_argument("--iou", type=float, default=0.45, help="per-class NMS IoU threshold (default 0.45)")
    p.add_argument("--classes", default=None, help="comma-separated COCO names to keep, e.g. person,dog")
    p.add_argument("--max-det", type=int, default=300, help="at most this many boxes per image")
    p.add_argument("--input-size", type=int, default=None,
                   help="network input side for Yolo-Fastest (multiple of 32; default 320)")
    p.add_argument("--max-frames", type=int, default=300, help="frames per video at most (default 300)")
    p.add_argument("--save-annotated", type=Path, default=None, metavar="DIR",
                   help="write annotated PNGs (photos) and MP4s (videos) here")
    add_output_args(p, formats=("csv", "json", "coco", "parquet"))
    add_engine_args(p)  # --engine ray: photos only, to csv/json/parquet
    p.set_defaults(run=run)


def photo_rows(loaded: Any, source: Path | bytes, **opts: Any) -> list[dict[str, Any]]:
    """The records of one photo without drawing or COCO bookkeeping (the Ray engine's path; the
    local loop below does the same three steps plus those)."""
    from cnnapps.images import load_image
    from cnnapps.tasks.detect import detect

    return _records(detect(loaded, load_image(source), **opts))


def _records(det: Any, frame: int | None = None) -> list[dict[str, Any]]:
    if frame is not None:
        return [{"frame": frame, **row} for row in det.rows()]
    # a photo with nothing found still gets its line
    return det.rows() or [{"class": None, "score": None, "x1": None, "y1": None, "x2": None, "y2": None}]


def run(args: argparse.Namespace) -> int:
    from cnnapps.coco import coco_categories
    from cnnapps.draw import draw_detections
    from cnnapps.errors import CnnappsError
    from cnnapps.images import load_image
    from cnnapps.results.detection import coco_document
    from cnnapps.tasks.detect import detect, detect_video, resolve_classes

    classes = [c for c in args.classes.split(",") if c.strip()] if args.classes else None
    try:
        resolve_classes(classes)
    except CnnappsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    opts: dict[str, Any] = {
        "conf": args.conf, "iou": args.iou, "classes": classes,
        "max_det": args.max_det, "input_size": args.input_size,
    }
    if args.engine == "ray":
        return _run_on_ray(args, opts)
    paths = expand_inputs(args.inputs, IMAGE_SUFFIXES + VIDEO_SUFFIXES)
    if not paths:
        print("error: no photos or videos found in the given paths", file=sys.stderr)
        return 1
    loaded = load_or_exit(args.model)
    if args.save_annotated is not None:
        args.save_annotated.mkdir(parents=True, exist_ok=True)
    coco_items: list[tuple[str, Any]] = []

    def one(path: Path) -> list[dict[str, Any]]:
        name = str(path)
        if path.suffix.lower() in VIDEO_SUFFIXES:
            rows: list[dict[str, Any]] = []

            def on_frame(i: int, det: Any) -> None:
                rows.extend(_records(det, i))
                coco_items.append((f"{name}#frame={i}", det))

            result = detect_video(loaded, path, max_frames=args.max_frames, on_frame=on_frame, **opts)
            if args.save_annotated is not None:
                (args.save_annotated / f"{path.stem}_detections.mp4").write_bytes(result.video)
            return rows
        image = load_image(path)
        det = detect(loaded, image, **opts)
        coco_items.append((name, det))
        if args.save_annotated is not None:
            draw_detections(image, det).save(args.save_annotated / f"{path.stem}_detections.png")
        return _records(det)

    records, code = run_items(paths, one, name=str, desc="detect")
    if args.format == "coco":
        cats = {i: n for i, n in enumerate(coco_categories()) if n not in ("__background__", "N/A")}
        doc = coco_document(coco_items, cats)
        doc["errors"] = [r for r in records if r.get("error")]
        text = json.dumps(doc, indent=1)
        if args.out in (None, "-"):
            sys.stdout.write(text + "\n")
        else:
            Path(args.out).write_text(text + "\n")
    else:
        write_records(records, args.format, args.out)
    return code


def _run_on_ray(args: argparse.Namespace, opts: dict[str, Any]) -> int:
    from cnnapps.batch import expand_files

    files = expand_files(args.inputs, IMAGE_SUFFIXES + VIDEO_SUFFIXES)
    videos = [name for name, _ in files if Path(name).suffix.lower() in VIDEO_SUFFIXES]
    if videos or args.format == "coco" or args.save_annotated is not None:
        print("error: --engine ray detects in photos and writes csv, json or parquet; videos, COCO "
              f"JSON and --save-annotated need --engine local{f' (videos: {videos[0]} ...)' if videos else ''}",
              file=sys.stderr)
        return 2
    records, code = run_on_ray(args, "detection", inputs=args.inputs, suffixes=IMAGE_SUFFIXES,
                               options=opts)
    write_records(records, args.format, args.out)
    return code
