"""Seeded random draws built on ``random.Random.random`` alone.

``Random.choice``/``randrange``/``sample`` cost three to four times more per call than one ``random()``; the
catalogue makes ~40 draws per gig, so this keeps a 2,000-gig build far under the 0.3 s budget. Same seed, same
sequence, on every platform (``random()`` is Mersenne Twister, specified bit for bit).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


class Dice:
    def __init__(self, seed: int | str) -> None:
        self.unit = random.Random(seed).random

    def chance(self, p: float) -> bool:
        return self.unit() < p

    def between(self, low: int, high: int) -> int:
        """An int in [low, high)."""
        return low + int(self.unit() * (high - low))

    def pick(self, seq: Sequence[T]) -> T:
        return seq[int(self.unit() * len(seq))]

    def sample(self, seq: Sequence[T], k: int) -> list[T]:
        """k distinct items: rejection for a few out of many, else partial Fisher-Yates."""
        if 4 * k <= len(seq):
            chosen: list[int] = []
            while len(chosen) < k:
                index = int(self.unit() * len(seq))
                if index not in chosen:
                    chosen.append(index)
            return [seq[i] for i in chosen]
        pool = list(seq)
        for i in range(k):
            j = i + int(self.unit() * (len(pool) - i))
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:k]

    def weighted(self, seq: Sequence[T], weights: Sequence[float]) -> T:
        point = self.unit() * sum(weights)
        for item, weight in zip(seq, weights, strict=True):
            point -= weight
            if point < 0:
                return item
        return seq[-1]

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self.unit()

    def exponential(self, mean: float) -> float:
        return -mean * math.log(1.0 - self.unit())
