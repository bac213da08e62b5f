"""Stage 6: one jitted train_step does the value-and-grad and the update
together."""

import math

import jax
import jax.numpy as jnp

from .problem import LEARNING_RATE, SAMPLES, SEED
from .record import EpochLog, Trained


def init_layer(key, d_in, d_out):
    w_key, b_key = jax.random.split(key)
    bound = math.sqrt(1.0 / d_in)
    w = (jax.random.uniform(w_key, shape=(d_out, d_in)) * 2 * bound) - bound
    b = (jax.random.uniform(b_key, shape=(d_out,)) * 2 * bound) - bound
    return {"w": w, "b": b}


def forward(params, x):
    for layer in params:
        x = jax.nn.sigmoid(x @ layer["w"].T + layer["b"])
    return x


def mse(params, x, y):
    prediction = forward(params, x)
    return ((prediction - y) ** 2).mean()


def sgd_step(params, grads, learning_rate):
    return jax.tree.map(lambda p, g: p - g * learning_rate, params, grads)


@jax.jit
def train_step(params, x, y, learning_rate):
    loss, grads = jax.value_and_grad(mse)(params, x, y)
    return sgd_step(params, grads, learning_rate), loss


def train(epochs: int, log: EpochLog) -> Trained:
    key_1, key_2 = jax.random.split(jax.random.key(SEED))
    params = [init_layer(key_1, 2, 2), init_layer(key_2, 2, 1)]

    for epoch in range(epochs):
        losses = []
        for x, y in SAMPLES:
            params, loss = train_step(
                params, jnp.array(x), jnp.array(y), LEARNING_RATE)
            losses.append(loss.item())
        log(epoch, losses)

    jit_forward = jax.jit(forward)

    def predict(x):
        return jit_forward(params, jnp.array(x))

    return Trained(params, predict)
