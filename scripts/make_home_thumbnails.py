"""Home-page thumbnails made from real results of the bundled models (issue 13).

    python scripts/make_home_thumbnails.py

Writes ``cnnapps/assets/home/classify.jpg`` (the bundled MobileNetV2's Grad-CAM overlay and top-1
on the sample cat photo) and ``cnnapps/assets/home/sentiment.png`` (the SST-2 model's word
highlights and calibrated probability for one sentence, drawn with matplotlib). Home only reads
the PNGs, so it imports no torch. Rerun after changing a bundled model.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from PIL import Image, ImageDraw, ImageOps  # noqa: E402

import cnnapps  # noqa: E402
from cnnapps.images import load_image  # noqa: E402
from cnnapps.preprocess import heatmap_canvas  # noqa: E402
from cnnapps.samples import sample_bytes  # noqa: E402
from cnnapps.tasks.classify import classify  # noqa: E402
from cnnapps.tasks.sentiment import explain  # noqa: E402
from cnnapps.text.highlight import word_alignment  # noqa: E402

OUT = ROOT / "cnnapps" / "assets" / "home"
SIZE = (480, 300)
SENTENCE = "a gorgeous, witty, seductive movie that never lets up"


def classify_thumb() -> Image.Image:
    loaded = cnnapps.load("mobilenet_v2_tflite", device="cpu")
    image = load_image(sample_bytes("cat"))
    result = classify(loaded, image, top_k=1, with_cam=True)
    from cnnapps.viz import overlay_heatmap

    picture = overlay_heatmap(heatmap_canvas(image, loaded.spec.preprocessing), result.heatmap, alpha=0.45)
    thumb = ImageOps.fit(picture, SIZE)
    draw = ImageDraw.Draw(thumb)
    label = f"{result.best.label} · {100 * result.best.probability:.0f} %"
    draw.rectangle((0, SIZE[1] - 34, SIZE[0], SIZE[1]), fill=(0, 0, 0))
    draw.text((12, SIZE[1] - 27), label, fill=(255, 255, 255), font_size=20)
    return thumb


def sentiment_thumb() -> None:
    loaded = cnnapps.load("textcnn_sst2", device="cpu")
    exp = explain(loaded, SENTENCE)
    weights = [t.weight for t in exp.tokens]
    words = [(chunk, sum(weights[i] for i in idx)) for chunk, idx in word_alignment(SENTENCE, len(weights))]
    scale = max(abs(w) for _, w in words) or 1.0
    fig = plt.figure(figsize=(SIZE[0] / 100, SIZE[1] / 100), dpi=100)
    fig.patch.set_facecolor("white")
    x, y = 0.04, 0.72
    for word, w in words:
        rgb = (0, 114 / 255, 178 / 255) if w > 0 else (213 / 255, 94 / 255, 0)
        text = fig.text(x, y, word, fontsize=17, bbox={"boxstyle": "round,pad=0.25", "lw": 0,
                                                      "fc": (*rgb, 0.15 + 0.7 * abs(w) / scale)})
        fig.canvas.draw()
        width = text.get_window_extent().width / fig.bbox.width
        x += width + 0.025
        if x > 0.8:
            x, y = 0.04, y - 0.2
    res = exp.result
    p = res.probabilities[1]
    ax = fig.add_axes((0.04, 0.1, 0.92, 0.12))
    ax.barh([0], [1 - p], color=(213 / 255, 94 / 255, 0))
    ax.barh([0], [p], left=[1 - p], color=(0, 114 / 255, 178 / 255))
    ax.set_xlim(0, 1)
    ax.axis("off")
    fig.text(0.04, 0.26, f"{res.label} · {100 * res.probability:.0f} % (calibrated)", fontsize=15, weight="bold")
    fig.savefig(OUT / "sentiment.png", dpi=100)
    plt.close(fig)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    classify_thumb().save(OUT / "classify.jpg", quality=85)
    sentiment_thumb()
    for name in ("classify.jpg", "sentiment.png"):
        print(f"wrote {(OUT / name).relative_to(ROOT)} ({(OUT / name).stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
