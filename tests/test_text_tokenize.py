"""Kim (2014)'s clean_str, with our two documented deviations (cnnapps/text/tokenize.py)."""

import pytest

from cnnapps.text.tokenize import clean_str, clean_str_kim, fold_accents, tokenize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The paper's preprocessing: clitics split off, punctuation separated, lowercased.
        ("It isn't bad!", ["it", "is", "n't", "bad", "!"]),
        ("We've seen they'd go, you'll see.", ["we", "'ve", "seen", "they", "'d", "go", ",", "you", "'ll", "see"]),
        ("The film's plot? You're kidding", ["the", "film", "'s", "plot", "?", "you", "'re", "kidding"]),
        # Characters outside [A-Za-z0-9(),!?'`] become spaces (periods, dashes, quotes, colons).
        ('a "well-made" movie: 10/10.', ["a", "well", "made", "movie", "10", "10"]),
        ("  many   spaces\tand\ttabs ", ["many", "spaces", "and", "tabs"]),
        ("", []),
    ],
)
def test_kim_preprocessing(text, expected):
    assert tokenize(text) == expected


def test_backslash_quirk_is_fixed_and_documented():
    # A verbatim Python 3 port keeps the backslash of the replacement template " \( ".
    assert clean_str_kim("a(b)") == "a \\( b \\)"
    assert clean_str_kim("why?") == "why \\?"
    # We emit the bare characters, which GloVe and any vocabulary actually contain.
    assert clean_str("a(b)") == "a ( b )"
    assert tokenize("why?") == ["why", "?"]
    assert "\\" not in clean_str("(x) y? z!")


def test_matches_kim_where_the_quirk_does_not_apply():
    for text in ["It isn't bad!", "We've got 2 dogs, honestly", "simple plain text"]:
        assert clean_str(text) == clean_str_kim(text)


def test_accents_are_folded_not_split():
    assert clean_str_kim("boilerplate clichés") == "boilerplate clich s"  # Kim's behaviour
    assert tokenize("boilerplate clichés") == ["boilerplate", "cliches"]
    assert tokenize("boilerplate clichés", accents=False) == ["boilerplate", "clich", "s"]
    assert fold_accents("naïve café") == "naive cafe"


@pytest.mark.parametrize("text", ["😀😀", "привет мир", "中文句子", "\u200b\u200b", "🎬 great 🎉"])
def test_emoji_and_non_latin_do_not_crash(text):
    tokens = tokenize(text)
    assert all(tok.isascii() for tok in tokens)
    if "great" in text:
        assert tokens == ["great"]


def test_case_kept_on_request():
    assert tokenize("Hello World", lower=False) == ["Hello", "World"]


def _clean_str_regex(text: str) -> str:
    """The regex implementation clean_str had before issue 13 made it faster (the reference)."""
    import re

    text = fold_accents(text)
    text = re.sub(r"[^A-Za-z0-9(),!?'`]", " ", text)
    for pattern, repl in [(r"'s", " 's"), (r"'ve", " 've"), (r"n't", " n't"), (r"'re", " 're"),
                          (r"'d", " 'd"), (r"'ll", " 'll")]:
        text = re.sub(pattern, repl, text)
    text = re.sub(r"([,!()?])", r" \1 ", text)
    return re.sub(r"\s{2,}", " ", text).strip().lower()


def test_fast_clean_str_equals_the_regex_version_on_random_text():
    import random

    rng = random.Random(13)
    alphabet = "abcXYZ019 '`(),!?.;:-\"\t\n\r\u00a0éñ😀中，。\\nt'svelldre"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert clean_str(text) == _clean_str_regex(text), repr(text)
        assert tokenize(text) == (_clean_str_regex(text).split(" ") if _clean_str_regex(text) else [])


def test_punctuation_alone_is_not_words():
    from cnnapps.text.tokenize import has_words, word_tokens

    tokens = tokenize("我非常喜欢这部电影，真的！")  # full-width comma and bang fold to "," and "!"
    assert tokens == [",", "!"]
    assert not has_words(tokens) and word_tokens(tokens) == []
    assert has_words(tokenize("it's 2 good!")) and word_tokens(tokenize("it's 2 good!")) == ["it", "'s", "2", "good"]
    assert not has_words(tokenize("... ?! (,)")) and not has_words([])
