"""Highlights on the user's own words, and the two-colour probability bar."""

import random

from cnnapps.text.highlight import highlight_words_html, probability_bar_html, word_alignment
from cnnapps.text.tokenize import tokenize


def test_word_alignment_covers_every_token_in_order():
    rng = random.Random(3)
    alphabet = "ab X9 '(),!?.éñ😀中，\tn'tsdll"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        flat = [i for _, idx in word_alignment(text, 10_000) for i in idx]
        assert flat == list(range(len(tokenize(text)))), repr(text)


def test_words_keep_their_spelling_and_sum_their_tokens():
    text = "I didn't like it"
    pairs = word_alignment(text, 100)
    assert pairs == [("I", [0]), ("didn't", [1, 2]), ("like", [3]), ("it", [4])]
    html = highlight_words_html(text, tokenize(text), [0.1, 0.2, -0.9, 0.3, 0.0])
    assert "didn&#x27;t</span>" in html and "-0.700 toward negative" in html


def test_probability_bar_uses_both_legend_colours():
    bar = probability_bar_html(0.25, labels=("negative", "positive"))
    assert "rgb(213,94,0)" in bar and "rgb(0,114,178)" in bar
    assert "negative 75.0 %" in bar and "positive 25.0 %" in bar
