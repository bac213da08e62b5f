"""Stage 1: idiomatic PyTorch, with an nn.Module, nn.Linear layers and
torch.optim.SGD."""

import torch

from .problem import LEARNING_RATE, SAMPLES, SEED
from .record import EpochLog, Trained


class XorNet(torch.nn.Module):
    """2 inputs -> 2 sigmoid hidden units -> 1 sigmoid output."""

    def __init__(self):
        super().__init__()
        self.hidden = torch.nn.Linear(2, 2)
        self.output = torch.nn.Linear(2, 1)

    def forward(self, x):
        h = torch.sigmoid(self.hidden(x))
        return torch.sigmoid(self.output(h))


def mse(model, x, y):
    prediction = model(x)
    return ((prediction - y) ** 2).mean()


def train(epochs: int, log: EpochLog) -> Trained:
    torch.manual_seed(SEED)
    model = XorNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)

    for epoch in range(epochs):
        losses = []
        for x, y in SAMPLES:
            optimizer.zero_grad()
            loss = mse(model, torch.tensor(x), torch.tensor(y))
            loss.backward()
            losses.append(loss.item())
            optimizer.step()
        log(epoch, losses)

    model.eval()

    def predict(x):
        with torch.no_grad():
            return model(torch.tensor(x))

    return Trained(model, predict)
