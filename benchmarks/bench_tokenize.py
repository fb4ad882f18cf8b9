"""Tokeniser speed: today's ``cnnapps.text.tokenize.tokenize`` against the regex implementation it
replaced in issue 13 (same output; ``tests/test_text_tokenize.py`` checks equality on 3,000 random
strings), on the sentiment benchmark's sentences. Python only, so the number is steady.

    python benchmarks/bench_tokenize.py [--runs 21]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sentiment import SENTENCES
from timing import interleaved_medians

from cnnapps.text.tokenize import fold_accents, tokenize

_NOT_KEPT = re.compile(r"[^A-Za-z0-9(),!?'`]")
_CLITICS = [(re.compile(p), r) for p, r in [(r"'s", " 's"), (r"'ve", " 've"), (r"n't", " n't"),
                                            (r"'re", " 're"), (r"'d", " 'd"), (r"'ll", " 'll")]]
_PUNCT = re.compile(r"([,!()?])")
_SPACES = re.compile(r"\s{2,}")


def tokenize_regex(text: str) -> list[str]:
    """The implementation before issue 13 (precompiled regexes, template replacement)."""
    text = _NOT_KEPT.sub(" ", fold_accents(text))
    for pattern, repl in _CLITICS:
        text = pattern.sub(repl, text)
    text = _SPACES.sub(" ", _PUNCT.sub(r" \1 ", text)).strip().lower()
    return text.split(" ") if text else []


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=21)
    p.add_argument("--n", type=int, default=10_000, help="sentences per timed run")
    args = p.parse_args(argv)
    texts = [SENTENCES[i % len(SENTENCES)] for i in range(args.n)]
    assert [tokenize(t) for t in SENTENCES] == [tokenize_regex(t) for t in SENTENCES]
    old, new = interleaved_medians(lambda: [tokenize_regex(t) for t in texts],
                                   lambda: [tokenize(t) for t in texts], runs=args.runs, warmup=2)
    print(f"{args.n:,} sentences, median of {args.runs} interleaved runs")
    print(f"regex tokenize (before): {1e6 * old / args.n:6.2f} µs/sentence")
    print(f"tokenize (now)         : {1e6 * new / args.n:6.2f} µs/sentence  ({old / new:.1f}x faster)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
