"""Kim's CNN: shapes for every variant, padding invariance, max-norm, checkpoint round trip."""

import pytest
import torch

from cnnapps.models.text_cnn import VARIANTS, TextCNN, TextCNNConfig
from cnnapps.text.vocab import Vocab


def _model(variant: str, **kw) -> TextCNN:
    torch.manual_seed(0)
    return TextCNN(TextCNNConfig(vocab_size=40, embed_dim=8, maps=6, variant=variant, **kw))


@pytest.mark.parametrize("variant", VARIANTS)
def test_output_shape_every_variant(variant):
    model = _model(variant)
    ids = torch.randint(2, 40, (3, 7))
    assert model(ids).shape == (3, 2)
    trace = model.eval().trace(ids)
    assert trace.pooled.shape == (3, 18) and trace.start.shape == (3, 18)
    assert trace.width.tolist() == [3] * 6 + [4] * 6 + [5] * 6


@pytest.mark.parametrize("variant", VARIANTS)
def test_trainable_parameters_per_variant(variant):
    model = _model(variant)
    emb_trainable = model.embedding.weight.requires_grad
    assert emb_trainable == (variant != "static")
    if variant == "multichannel":
        assert not model.static_embedding.weight.requires_grad
        assert model.convs[0].in_channels == 16
    else:
        assert model.static_embedding is None


def test_pretrained_rows_are_used_and_pad_row_is_zero():
    pre = torch.randn(40, 8)
    model = TextCNN(TextCNNConfig(vocab_size=40, embed_dim=8, maps=4, variant="static"), pretrained=pre)
    assert torch.equal(model.embedding.weight[1:], pre[1:])
    assert model.embedding.weight[0].abs().sum() == 0
    with pytest.raises(ValueError):
        TextCNN(TextCNNConfig(vocab_size=40, embed_dim=8, variant="static"), pretrained=torch.randn(3, 8))


@pytest.mark.parametrize("variant", VARIANTS)
def test_answer_does_not_depend_on_padding(variant):
    model = _model(variant).eval()
    sent = torch.tensor([[4, 9, 2]])
    padded = torch.tensor([[4, 9, 2, 0, 0, 0, 0, 0, 0, 0]])
    assert torch.allclose(model(sent), model(padded), atol=1e-6)


def test_max_norm_enforced_after_a_step():
    model = _model("rand", max_norm=3.0)
    with torch.no_grad():
        model.fc.weight.mul_(100.0)  # far beyond the constraint
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    loss = torch.nn.functional.cross_entropy(model(torch.randint(2, 40, (4, 6))), torch.tensor([0, 1, 0, 1]))
    loss.backward()
    opt.step()
    assert model.fc.weight.norm(dim=1).max() > 3.0
    model.apply_max_norm()
    norms = model.fc.weight.norm(dim=1)
    assert torch.all(norms <= 3.0 + 1e-4)
    # Rows inside the constraint are left alone.
    small = _model("rand")
    before = small.fc.weight.clone()
    small.apply_max_norm()
    assert torch.equal(before, small.fc.weight)


def test_config_validation():
    with pytest.raises(ValueError):
        TextCNNConfig(variant="dynamic")
    with pytest.raises(ValueError):
        TextCNNConfig(widths=())


def test_checkpoint_round_trip_with_weights_only(tmp_path):
    vocab = Vocab.build([["good", "bad", "film"]])
    model = TextCNN(TextCNNConfig(vocab_size=len(vocab), embed_dim=8, maps=4, variant="multichannel"),
                    vocab=vocab).eval()
    path = tmp_path / "m.pt"
    torch.save(model.checkpoint(), path)
    loaded = TextCNN.from_checkpoint(torch.load(path, map_location="cpu", weights_only=True))
    ids = torch.tensor([[2, 3, 4, 0, 0]])
    assert torch.equal(model(ids), loaded(ids))
    assert loaded.vocab == vocab and not loaded.training
    assert loaded.max_length == model.max_length
