"""``python -m cnnapps dicom info|render|deidentify``: DICOM files from the command line.

* ``dicom info FILE... [--format json|csv] [--out PATH]``: one record per file (modality,
  photometric interpretation, transfer syntax, size, frames, window, masked patient tags); a file
  that cannot be read is a record with its error.
* ``dicom render FILE --window lung|mediastinum|...|C,W --out PNG [--frame N]``: the displayed
  image (DICOM display pipeline) as an 8-bit PNG.
* ``dicom deidentify FILE... --out DIR``: de-identified copies (PS3.15 basic profile).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cnnapps.cli.common import add_output_args, expand_inputs, run_items, write_records

__all__ = ["register", "run"]

DICOM_SUFFIXES = (".dcm", ".dicom", ".dic", "")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("dicom", help="inspect, render or de-identify DICOM files",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    dsub = parser.add_subparsers(dest="dicom_command", metavar="<info|render|deidentify>", required=True)

    info = dsub.add_parser("info", help="one record per file: modality, syntax, size, window, masked tags")
    info.add_argument("inputs", nargs="+", metavar="FILE_OR_DIR")
    add_output_args(info, formats=("json", "csv"))
    info.set_defaults(dicom_run=_info)

    render = dsub.add_parser("render", help="the displayed image as PNG")
    render.add_argument("file", metavar="FILE")
    render.add_argument("--window", default=None,
                        help="a preset (lung, mediastinum, bone, brain, abdomen, 'soft tissue'), "
                        "'C,W' (centre,width in modality units) or 'file' (default: the file's own)")
    render.add_argument("--frame", type=int, default=0, help="frame of a multi-frame file (from 0)")
    render.add_argument("--out", type=Path, required=True, metavar="PNG")
    render.set_defaults(dicom_run=_render)

    deid = dsub.add_parser("deidentify", help="de-identified copies (DICOM PS3.15 basic profile)")
    deid.add_argument("inputs", nargs="+", metavar="FILE_OR_DIR")
    deid.add_argument("--out", type=Path, required=True, metavar="DIR")
    deid.set_defaults(dicom_run=_deidentify)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    return int(args.dicom_run(args))


def _info(args: argparse.Namespace) -> int:
    from cnnapps.medical.dicom import read_dicom

    files = expand_inputs(args.inputs, DICOM_SUFFIXES)
    def one(path: Path) -> list[dict]:
        return [{k: v for k, v in read_dicom(path).summary().items() if k != "file"}]

    records, code = run_items(files, one, name=str, desc="dicom info")
    write_records(records, args.format, args.out)
    return code


def _parse_window(text: str | None):
    from cnnapps.medical.dicom import PRESETS, Window

    if text is None or text == "file":
        return None
    if "," in text:
        try:
            c, w = (float(v) for v in text.split(","))
        except ValueError:
            raise SystemExit(f"error: --window {text!r}: expected 'centre,width', e.g. -600,1500") from None
        return Window(c, w)
    if text not in PRESETS:
        raise SystemExit(f"error: --window {text!r}: choose one of {', '.join(PRESETS)}, 'C,W' or 'file'")
    return text


def _render(args: argparse.Namespace) -> int:
    from PIL import Image

    from cnnapps.errors import CnnappsError
    from cnnapps.medical.dicom import read_dicom, render

    window = _parse_window(args.window)
    try:
        image = read_dicom(Path(args.file))
        pixels = render(image, frame=args.frame, window=window)
    except CnnappsError as err:
        print(f"error: {err}")
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(args.out, format="PNG")
    print(f"wrote {args.out} ({pixels.shape[1]} x {pixels.shape[0]})")
    return 0


def _deidentify(args: argparse.Namespace) -> int:
    from cnnapps.medical.dicom import deidentify

    files = expand_inputs(args.inputs, DICOM_SUFFIXES)
    args.out.mkdir(parents=True, exist_ok=True)

    def one(path: Path) -> list[dict]:
        data = deidentify(path)
        target = args.out / f"{path.stem}_deid.dcm"
        target.write_bytes(data)
        return [{"output": str(target), "bytes": len(data)}]

    records, code = run_items(files, one, name=str, desc="deidentify")
    write_records(records, "csv", None)
    return code
