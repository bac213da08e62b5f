"""Stage 5: stage 4 with @jax.jit on forward, sgd_step and mse, one piece at
a time."""

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


@jax.jit
def forward(params, x):
    for layer in params:
        x = jax.nn.sigmoid(x @ layer["w"].T + layer["b"])
    return x


@jax.jit
def mse(params, x, y):
    prediction = forward(params, x)
    return ((prediction - y) ** 2).mean()


@jax.jit
def sgd_step(params, grads, learning_rate):
    return jax.tree.map(lambda p, g: p - g * learning_rate, params, grads)


def train(epochs: int, log: EpochLog) -> Trained:
    key_1, key_2 = jax.random.split(jax.random.key(SEED))
    params = [init_layer(key_1, 2, 2), init_layer(key_2, 2, 1)]

    for epoch in range(epochs):
        losses = []
        for x, y in SAMPLES:
            loss, grads = jax.value_and_grad(mse)(
                params, jnp.array(x), jnp.array(y))
            losses.append(loss.item())
            params = sgd_step(params, grads, LEARNING_RATE)
        log(epoch, losses)

    def predict(x):
        return forward(params, jnp.array(x))

    return Trained(params, predict)
