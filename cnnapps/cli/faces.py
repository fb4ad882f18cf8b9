"""``python -m cnnapps faces detect|verify|enroll|identify|cluster|anonymise ...``

Every subcommand writes CSV (default) or JSON records to stdout or ``--out``:

- ``detect PHOTO...``: one row per face (file, face, box, probability); a photo without faces
  gives a row with ``faces: 0``.
- ``verify A B``: similarity of the largest face of each, the threshold, same_person.
- ``enroll --gallery G.json --name NAME PHOTO...``: adds the largest face of each photo to the
  gallery file (created if missing; the exported-gallery format the page reads too).
- ``identify --gallery G.json PHOTO...``: one row per face with the nearest person or "unknown".
- ``cluster PHOTO...``: one row per face with its group number.
- ``anonymise --out-dir DIR PHOTO...``: writes blurred/pixelated copies (PNG), one row per photo.

Exit codes: 0 when at least one photo was processed, 1 when none could be, 2 for usage errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cnnapps.cli import common

COMMAND = "faces"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(COMMAND, help="face detection, verification, identification, clustering, "
                            "anonymisation", description="Faces: detect, verify, enroll into a gallery "
                            "file, identify, cluster, anonymise (MTCNN + MobileFaceNet, offline).")
    actions = parser.add_subparsers(dest="faces_action", required=True, metavar="ACTION")

    def action(name: str, help_: str, *, embedder: bool = True) -> argparse.ArgumentParser:
        p = actions.add_parser(name, help=help_)
        if embedder:
            common.add_model_arg(p, "face_embedding")
        common.add_output_args(p)
        p.add_argument("--min-probability", type=float, default=0.9,
                       help="ignore detections with a lower face probability (default 0.9)")
        p.set_defaults(run=run)
        return p

    p = action("detect", "faces, boxes and landmarks in each photo", embedder=False)
    p.add_argument("inputs", nargs="+", help="photos or folders")
    p = action("verify", "are the largest faces of two photos the same person?")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--threshold", type=float, default=None, help="cosine threshold (default: the model's)")
    p = action("enroll", "add the largest face of each photo to a gallery file under a name")
    p.add_argument("--gallery", type=Path, required=True, help="gallery JSON file (created if missing)")
    p.add_argument("--name", required=True)
    p.add_argument("inputs", nargs="+")
    p = action("identify", "label every face with the nearest enrolled person or 'unknown'")
    p.add_argument("--gallery", type=Path, required=True)
    p.add_argument("--threshold", type=float, default=None)
    p.add_argument("inputs", nargs="+")
    p = action("cluster", "group the faces of many photos by person")
    p.add_argument("--threshold", type=float, default=None)
    p.add_argument("inputs", nargs="+")
    p = action("anonymise", "blur or pixelate every face; writes PNG copies", embedder=False)
    p.add_argument("--out-dir", type=Path, required=True)
    p.add_argument("--method", choices=("blur", "pixelate"), default="blur")
    p.add_argument("--strength", type=int, choices=range(1, 11), default=6, metavar="1..10")
    p.add_argument("inputs", nargs="+")


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def run(args: argparse.Namespace) -> int:
    from cnnapps.errors import CnnappsError
    from cnnapps.faces import api
    from cnnapps.faces.gallery import FaceGallery, enroll

    act = args.faces_action
    detector = common.load_or_exit("mtcnn")
    embedder = common.load_or_exit(args.model) if hasattr(args, "model") else None
    prob = args.min_probability

    if act == "verify":
        try:
            v = api.verify(embedder, Path(args.a), Path(args.b), detector=detector, threshold=args.threshold)
        except CnnappsError as err:
            return _fail(str(err))
        common.write_records([{"a": args.a, "b": args.b, **v.rows()[0]}], args.format, args.out)
        return 0

    files = common.expand_inputs(args.inputs, common.IMAGE_SUFFIXES)

    def each(fn):
        return common.run_items(files, fn, name=str, desc=f"faces {act}")

    if act == "detect":
        def detect_one(path: Path) -> list[dict]:
            d = api.detect_faces(detector, path, min_probability=prob)
            return [{"faces": len(d), **row} for row in d.rows()] or [{"faces": 0}]
        records, code = each(detect_one)
    elif act == "enroll":
        gallery = FaceGallery(embedder.spec.name)
        if args.gallery.exists():
            try:
                gallery = FaceGallery.from_bytes(args.gallery.read_bytes(), model_name=embedder.spec.name)
            except CnnappsError as err:
                return _fail(str(err))

        def enroll_one(path: Path) -> list[dict]:
            nonlocal gallery
            e = api.embed_faces(embedder, path, detector=detector, min_probability=prob)
            if len(e) == 0:
                return [{"enrolled": False, "note": "no face found"}]
            gallery = enroll(gallery, args.name, e.embeddings[:1])
            return [{"enrolled": True, "name": args.name, "faces_in_photo": len(e)}]
        records, code = each(enroll_one)
        args.gallery.write_bytes(gallery.to_bytes())
    elif act == "identify":
        try:
            gallery = FaceGallery.from_bytes(args.gallery.read_bytes(), model_name=embedder.spec.name)
        except OSError as err:
            return _fail(f"cannot read {args.gallery}: {err.strerror}")
        except CnnappsError as err:
            return _fail(str(err))
        records, code = each(lambda p: api.identify(
            embedder, p, gallery, detector=detector, threshold=args.threshold).rows() or [{"faces": 0}])
    elif act == "cluster":
        result = api.cluster_faces(embedder, [(str(f), f) for f in files], detector=detector,
                                   threshold=args.threshold)
        records = result.rows()
        code = int(bool(files) and len(result.errors) == len(files))
    elif act == "anonymise":
        from PIL import Image

        args.out_dir.mkdir(parents=True, exist_ok=True)

        def anonymise_one(path: Path) -> list[dict]:
            a = api.anonymise(detector, path, method=args.method, strength=args.strength)
            out = args.out_dir / f"{path.stem}.anonymised.png"
            Image.fromarray(a.image).save(out)
            return [{"faces": len(a.detections), "output": str(out)}]
        records, code = each(anonymise_one)
    else:  # pragma: no cover - argparse restricts the choices
        raise AssertionError(act)
    common.write_records(records, args.format, args.out)
    return code
