"""helpers.digits: the data, the two CNNs, and a PyTorch model whose weights carry over to NNX."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from flax import nnx

from helpers import digits
from helpers.port import port_weights


@pytest.fixture(scope="module")
def split():
    return digits.load()


def test_split_keeps_every_image_and_every_class(split):
    assert len(split.x_train) + len(split.x_test) == 1797
    assert split.x_train.shape[1:] == (1, 8, 8) and split.x_train.dtype == np.float32
    assert set(split.y_test) == set(range(10))
    assert split.nhwc(split.x_test).shape == (len(split.x_test), 8, 8, 1)


def test_bad_fraction_is_refused():
    with pytest.raises(ValueError, match="test_fraction"):
        digits.load(test_fraction=1.5)


def test_trained_torch_weights_give_the_same_logits_in_nnx(split):
    torch.manual_seed(0)
    model = digits.torch_cnn()
    losses = digits.train_torch(model, split, epochs=2)
    assert losses[1] < losses[0]
    with torch.no_grad():
        expected = model(torch.from_numpy(split.x_test)).numpy()
    ported = digits.nnx_cnn(nnx.Rngs(0))
    port_weights(model, ported, digits.TORCH_TO_NNX)
    ported.eval()
    got = np.asarray(ported(split.nhwc(split.x_test)))
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    assert digits.accuracy(got, split.y_test) == digits.accuracy(expected, split.y_test)


def test_accuracy_checks_lengths():
    with pytest.raises(ValueError, match="3 predictions for 2 labels"):
        digits.accuracy(np.zeros((3, 10)), np.zeros(2, dtype=np.int64))
