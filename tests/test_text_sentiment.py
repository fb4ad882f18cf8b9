"""cnnapps.tasks.sentiment on a tiny random model (always) and on the shipped models (bundled)."""

import time

import pytest
import torch

import cnnapps
from cnnapps.loaded import LoadedModel, load
from cnnapps.models.text_cnn import TextCNN, TextCNNConfig
from cnnapps.registry import get_spec, list_models
from cnnapps.tasks.sentiment import MAX_CHARS, explain, predict, predict_batch
from cnnapps.text.vocab import Vocab
from cnnapps.weights import BUNDLED_DIR

LABELS = ("negative", "positive")


@pytest.fixture(scope="module")
def tiny():
    vocab = Vocab.build([["a", "good", "film", "bad", "plot", "is", "the"]])
    torch.manual_seed(0)
    model = TextCNN(TextCNNConfig(vocab_size=len(vocab), embed_dim=8, maps=5, variant="rand",
                                  max_length=20), vocab=vocab)
    return LoadedModel(spec=get_spec("textcnn_sst2"), module=model.eval().requires_grad_(False),
                       device=torch.device("cpu"))


def test_predict_single_and_batch_agree(tiny):
    texts = ["a good film", "the plot is bad", "good", "a good film , a bad plot , the film is good"]
    batch = predict_batch(tiny, texts, batch_size=2)
    for text, res in zip(texts, batch, strict=True):
        one = predict(tiny, text)
        assert one.text == text == res.text and one.label == res.label
        assert one.probability == pytest.approx(res.probability, abs=1e-6)
        assert sum(res.probabilities) == pytest.approx(1.0, abs=1e-6)
        assert res.label == LABELS[res.index] and res.probability == max(res.probabilities)


def test_progress_is_reported(tiny):
    calls = []
    predict_batch(tiny, ["good"] * 7, batch_size=3, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(3, 7), (6, 7), (7, 7)]


def test_unknown_empty_truncated_and_odd_scripts(tiny):
    unknown = predict(tiny, "zzz qqq")
    assert unknown.all_unknown and unknown.unknown == ("zzz", "qqq")
    for text in ["", "😀🎉", "привет мир", "中文句子"]:
        res = predict(tiny, text)
        assert res.no_words and not res.all_unknown and 0 <= res.probability <= 1
    long = predict(tiny, "good " * 100)
    assert long.truncated and len(long.tokens) == 20 and long.n_tokens == 100
    huge = predict(tiny, "good " * (MAX_CHARS // 2))
    assert huge.truncated and len(huge.tokens) == 20
    mislabelled = LoadedModel(spec=get_spec("textcnn_sst2"), module=TextCNN(
        TextCNNConfig(vocab_size=len(tiny.module.vocab), embed_dim=8, maps=5, variant="rand",
                      num_classes=3), vocab=tiny.module.vocab).eval(), device=torch.device("cpu"))
    with pytest.raises(ValueError, match="labels"):
        predict(mislabelled, "good")
    with pytest.raises(TypeError, match="not a sentiment model"):
        predict(load("mobilenet_v2_tflite", device="cpu"), "good")


def test_explanation_adds_up_to_the_logit_difference(tiny):
    text = "the plot is bad but the film is good"
    exp = explain(tiny, text, top_k=3)
    ids = torch.tensor([tiny.module.vocab.encode(exp.result.tokens)])
    with torch.no_grad():
        logits = tiny.module(ids)[0]
    total = sum(t.weight for t in exp.tokens) + exp.bias
    assert total == pytest.approx(float(logits[1] - logits[0]), abs=1e-4)
    assert [t.token for t in exp.tokens] == list(exp.result.tokens)
    neg, pos = exp.top_ngrams
    assert len(neg) <= 3 and len(pos) <= 3
    assert all(g.weight < 0 for g in neg) and all(g.weight > 0 for g in pos)
    for g in neg + pos:
        assert g.text == " ".join(exp.result.tokens[g.start : g.start + g.width])
    empty = explain(tiny, "😀")
    assert empty.tokens == () and empty.result.no_words


# --- the shipped models -------------------------------------------------------------------------

SPECS = list_models("sentiment")
_MISSING = [s.name for s in SPECS if not (BUNDLED_DIR / s.weights["model"].filename).is_file()]
needs_weights = pytest.mark.skipif(bool(_MISSING), reason=f"bundled weights not trained yet: {_MISSING}")


@needs_weights
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_shipped_model_loads_fast_small_and_matches_its_spec(spec):
    source = spec.weights["model"]
    path = BUNDLED_DIR / source.filename
    assert path.stat().st_size < 10 * 1024 * 1024
    assert source.sha256 and source.size_bytes == path.stat().st_size
    start = time.perf_counter()
    model = load(spec.name, device="cpu").module
    assert time.perf_counter() - start < 1.0
    assert not model.training and model.fc.out_features == len(spec.labels)
    built = spec.build()
    assert built.fc.out_features == len(spec.labels)
    assert built.config.vocab_size == model.config.vocab_size


POSITIVE = [
    "a gorgeous, witty, seductive movie.",
    "a wonderful, moving and beautifully acted film.",
    "one of the best films of the year, funny and smart.",
    "an absolute delight from start to finish.",
]
NEGATIVE = [
    "the plot is nothing but boilerplate clichés",
    "a boring, tedious mess with terrible acting.",
    "the worst movie i have seen in years.",
    "dull, lifeless and painfully unfunny.",
]


@needs_weights
@pytest.mark.parametrize("name", [s.name for s in SPECS])
def test_shipped_model_gets_unambiguous_sentences_right(name):
    spec = get_spec(name)
    model = load(spec.name, device="cpu")
    results = cnnapps.sentiment(model, POSITIVE + NEGATIVE)
    got = [r.label for r in results]
    assert got == ["positive"] * len(POSITIVE) + ["negative"] * len(NEGATIVE), list(zip(got, POSITIVE + NEGATIVE, strict=True))
    assert {r.model_name for r in results} == {name} and all(r.elapsed_ms > 0 for r in results)
    assert cnnapps.sentiment(model, "a gorgeous movie")[0].rows()[0]["label"] == "positive"
    exp = explain(model, "a gorgeous, witty, seductive movie.")
    best = max(exp.tokens, key=lambda t: t.weight)
    assert best.token in {"gorgeous", "witty", "seductive"}
