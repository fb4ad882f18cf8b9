"""Batch sentiment inference on CPU: our ``predict_batch()`` against the raw model call.

    python benchmarks/bench_sentiment.py --model textcnn_sst2 --batch 1000 --repeats 7 --threads 1

Both sides classify the same sentences. The raw call gets a ready padded id tensor (what is left
is the network itself); ``predict_batch`` also tokenises (clean_str), looks words up, sorts by
length, pads, runs softmax and builds result dataclasses. The raw call is the eager PyTorch
module; ours runs what ``cnnapps.load`` gives (on the CPU, the network in ONNX Runtime:
``cnnapps/accel.py``; ``CNNAPPS_ACCEL=eager`` times the all-PyTorch path). Reported: sentences/second as the median
of ``--repeats`` timed runs after ``--warmup`` untimed ones, and the ratio ours / raw.
"""

from __future__ import annotations

import argparse

import torch
from timing import interleaved_medians

from cnnapps.loaded import load, load_module
from cnnapps.registry import get_spec
from cnnapps.tasks.sentiment import predict_batch
from cnnapps.text.tokenize import tokenize
from cnnapps.text.vocab import pad_batch

# Movie-review-like sentences of varied length (8-40 tokens), cycled to the batch size.
SENTENCES = [
    "a gorgeous, witty, seductive movie.",
    "the plot is nothing but boilerplate clichés",
    "it's a charming and often affecting journey, though it runs a little long in the middle.",
    "unflinchingly bleak and desperate, the film never lets its characters off the hook.",
    "an ambitious failure that mistakes noise for energy and length for depth.",
    "the performances are uniformly excellent, and the script has real wit and bite.",
    "i can't remember the last time a comedy made me laugh this hard or think this much.",
    "too long, too loud and too pleased with itself, this sequel squanders a fine cast on a story "
    "that nobody asked for and nobody will remember.",
]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="textcnn_sst2")
    p.add_argument("--batch", type=int, default=1000, help="sentences per timed run")
    p.add_argument("--chunk", type=int, default=256, help="predict_batch's batch_size")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)

    spec = get_spec(args.model)
    loaded = load(spec.name, device="cpu")  # ours: on the CPU, its network runs in ONNX Runtime
    model = load_module(spec)  # raw: the same weights in a plain eager PyTorch TextCNN
    texts = [SENTENCES[i % len(SENTENCES)] for i in range(args.batch)]
    ids = [model.vocab.encode(tokenize(t)[: model.max_length]) for t in texts]
    # Raw: the same sentences, pre-encoded, in the same length-sorted chunks predict_batch uses.
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    chunks = [pad_batch([ids[i] for i in order[s : s + args.chunk]], min_length=model.min_length)
              for s in range(0, len(order), args.chunk)]

    def raw() -> None:
        with torch.inference_mode():
            for x in chunks:
                model(x)

    def ours() -> None:
        predict_batch(loaded, texts, batch_size=args.chunk)

    raw_s, our_s = interleaved_medians(raw, ours, runs=args.repeats, warmup=args.warmup)
    raw_rate, our_rate = args.batch / raw_s, args.batch / our_s
    print(f"model {args.model}, CPU threads {args.threads}, {args.batch} sentences per run, "
          f"chunks of {args.chunk}, median of {args.repeats} interleaved runs after {args.warmup} warm-up")
    print(f"raw model call : {raw_rate:10.0f} sentences/s")
    print(f"predict_batch(): {our_rate:10.0f} sentences/s")
    print(f"ratio ours/raw : {our_rate / raw_rate:10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
