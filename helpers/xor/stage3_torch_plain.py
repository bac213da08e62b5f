"""Stage 3: no nn helpers either: parameters are a list of dicts of plain
tensors."""

import math

import torch

from .problem import LEARNING_RATE, SAMPLES, SEED
from .record import EpochLog, Trained


def init_layer(d_in, d_out):
    # nn.Linear's default: uniform in [-1/sqrt(d_in), 1/sqrt(d_in)]
    bound = math.sqrt(1.0 / d_in)
    w = (torch.rand(d_out, d_in) * 2 * bound) - bound
    b = (torch.rand(d_out) * 2 * bound) - bound
    return {"w": w.requires_grad_(), "b": b.requires_grad_()}


def forward(params, x):
    for layer in params:
        x = torch.sigmoid(x @ layer["w"].T + layer["b"])
    return x


def mse(params, x, y):
    prediction = forward(params, x)
    return ((prediction - y) ** 2).mean()


def zero_grad(params):
    for layer in params:
        for p in layer.values():
            p.grad = None


def sgd_step(params, learning_rate):
    with torch.no_grad():
        for layer in params:
            for p in layer.values():
                if p.grad is not None:
                    p -= p.grad * learning_rate


def train(epochs: int, log: EpochLog) -> Trained:
    torch.manual_seed(SEED)
    params = [init_layer(2, 2), init_layer(2, 1)]

    for epoch in range(epochs):
        losses = []
        for x, y in SAMPLES:
            zero_grad(params)
            loss = mse(params, torch.tensor(x), torch.tensor(y))
            loss.backward()
            losses.append(loss.item())
            sgd_step(params, LEARNING_RATE)
        log(epoch, losses)

    def predict(x):
        with torch.no_grad():
            return forward(params, torch.tensor(x))

    return Trained(params, predict)
