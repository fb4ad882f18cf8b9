"""Vocabulary (minimum count, <unk>), encoding and padding."""

import pytest
import torch

from cnnapps.text.vocab import PAD, PAD_INDEX, UNK, UNK_INDEX, Vocab, pad_batch

SENTS = [["a", "good", "film"], ["a", "bad", "film"], ["a", "film"]]


def test_build_orders_by_count_and_applies_min_count():
    vocab = Vocab.build(SENTS, min_count=2)
    assert vocab.itos == (PAD, UNK, "a", "film")
    full = Vocab.build(SENTS)
    assert full.itos == (PAD, UNK, "a", "film", "bad", "good")  # ties alphabetical
    assert len(full) == 6


def test_unknown_words_map_to_unk_and_extra_words_are_added():
    vocab = Vocab.build(SENTS, min_count=2, extra=["superb", "a"])
    assert vocab.itos[-1] == "superb" and vocab.itos.count("a") == 1
    assert vocab.encode(["a", "superb", "zzz"]) == [2, 4, UNK_INDEX]
    assert vocab.encode(["a", "film", "a"], max_length=2) == [2, 3]
    assert "superb" in vocab and "zzz" not in vocab


def test_vocab_rejects_bad_input():
    with pytest.raises(ValueError):
        Vocab.build(SENTS, min_count=0)
    with pytest.raises(ValueError):
        Vocab(("a", "b"))
    with pytest.raises(ValueError):
        Vocab((PAD, UNK, "x", "x"))


def test_vocab_round_trips_through_a_list():
    vocab = Vocab.build(SENTS)
    assert Vocab(tuple(list(vocab.itos))) == vocab  # noqa: C414 (the checkpoint stores a list)


def test_pad_batch_pads_right_to_at_least_the_widest_filter():
    x = pad_batch([[5], [6, 7]], min_length=5)
    assert x.dtype == torch.long and x.shape == (2, 5)
    assert x.tolist() == [[5, 0, 0, 0, 0], [6, 7, 0, 0, 0]]
    assert PAD_INDEX == 0
    long = pad_batch([list(range(1, 9)), [1]], min_length=5)
    assert long.shape == (2, 8)
    cut = pad_batch([list(range(1, 9))], min_length=5, max_length=6)
    assert cut.tolist() == [[1, 2, 3, 4, 5, 6]]
    assert pad_batch([[]], min_length=3).tolist() == [[0, 0, 0]]
