"""Our classify path against what a typical demo does, on the same 224 px photo (issue 13).

    python benchmarks/bench_classify_vs_torchvision.py [--runs 40] [--threads 0]

Baseline: an eager ``torchvision.models.mobilenet_v2()`` (the same architecture and FLOPs as our
bundled model; random weights, since timing does not depend on them and nothing may download)
behind torchvision's usual transforms (Resize 256, CenterCrop 224, ToTensor, Normalize), then
softmax and top-5. Ours: ``cnnapps.tasks.classify.classify(model, photo, top_k=5)`` with the bundled
MobileNetV2 as loaded plainly (eager) and as wrapped by :func:`cnnapps.accel.accelerated`
(ONNX Runtime on CPU, or channels_last). All timed interleaved (a, b, c, a, b, c, ...), median of
``--runs`` after 5 warm-up rounds; ratios are ours / baseline (target <= 0.5).
"""

from __future__ import annotations

import argparse
import platform

import torch
import torchvision
from PIL import Image
from timing import interleaved_medians
from torchvision import transforms as T

from cnnapps.accel import accelerated
from cnnapps.images import load_image
from cnnapps.loaded import LoadedModel, load_module
from cnnapps.registry import get_spec
from cnnapps.samples import sample_bytes
from cnnapps.tasks.classify import classify


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=40)
    p.add_argument("--threads", type=int, default=0, help="torch (and ONNX Runtime) threads; 0: torch's default")
    p.add_argument("--mechanisms", nargs="+", default=["onnxruntime", "channels_last"])
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    photo = load_image(sample_bytes("cat")).resize((224, 224), Image.Resampling.BILINEAR)
    tv = torchvision.models.mobilenet_v2().eval()
    transform = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                           T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])

    def baseline() -> object:
        with torch.inference_mode():
            return torch.softmax(tv(transform(photo).unsqueeze(0)), dim=1).topk(5)

    spec = get_spec("mobilenet_v2_tflite")
    cpu = torch.device("cpu")
    module = load_module(spec).requires_grad_(False)
    eager = LoadedModel(spec=spec, module=module, device=cpu)
    fast = {m: LoadedModel(spec=spec, device=cpu, module=accelerated(
        module, input_size=spec.preprocessing.input_size, mechanism=m)) for m in args.mechanisms}
    fns = [baseline, lambda: classify(eager, photo, top_k=5)]
    fns += [lambda f=f: classify(f, photo, top_k=5) for f in fast.values()]
    times = [1000.0 * t for t in interleaved_medians(*fns, runs=args.runs)]

    print(f"machine: {platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}; "
          f"median of {args.runs} interleaved runs after 5 warm-up rounds; 224x224 photo -> top-5\n")
    print("| pipeline | median ms | ratio to baseline |")
    print("|---|---|---|")
    names = ["torchvision transforms + eager torchvision MobileNetV2 (baseline)", "our classify(), eager"]
    names += [f"our classify(), {m}" for m in fast]
    for name, ms in zip(names, times, strict=True):
        print(f"| {name} | {ms:.1f} | {ms / times[0]:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
