"""Per-user rows shared by the interest states of one lineage (private to ``core.interests``).

A user's mean vector and topic shares do not change when no new event of theirs arrives (decay
scales a user's sums, it does not rotate them), so a state folded forward by ``update`` shares the
rows of every untouched user with the state it came from and stores new rows only for the users
that had new events. Rows live in immutable segments: a state is a tuple of segments plus, per
user, the row it reads; an update adds one segment (the batch's users) and re-points their rows.
The cost of an update is then O(touched users x d) plus O(users) for the row index, never a copy
of the whole (users x d) table; when the segments hold more than twice the rows read (or too
many segments pile up) the new state gets one compact segment, which amortises to the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

MAX_SEGMENTS = 32


@dataclass(frozen=True)
class UserRows:
    """Rows of ``n`` users: ``index[i]`` is user ``i``'s row in the segments laid end to end.

    ``means``: (rows, d) float32 tensors; ``shares``: (rows, k) float64 tensors, one pair per
    segment. Segments are never written after they are made.
    """

    means: tuple[torch.Tensor, ...]
    shares: tuple[torch.Tensor, ...]
    index: np.ndarray

    @classmethod
    def of(cls, mean: torch.Tensor, share: torch.Tensor) -> UserRows:
        """One segment holding ``mean`` and ``share`` (not copied), row ``i`` for user ``i``."""
        return cls((mean,), (share,), np.arange(int(mean.shape[0]), dtype=np.int64))

    @property
    def stored(self) -> int:
        """Rows held by the segments (read by this state or not)."""
        return sum(int(m.shape[0]) for m in self.means)

    def read(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(n_users, d) means and (n_users, k) shares, in user order (views when there is one
        segment read in order)."""
        if len(self.means) == 1 and len(self.index) == self.stored:
            return self.means[0], self.shares[0]  # made by ``of``: the identity index
        return self._take(self.index)

    def read_at(self, positions: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """The rows of the users at ``positions`` only."""
        return self._take(self.index[positions])

    def _take(self, rows: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        if len(self.means) == 1:  # one gather, no scatter
            rows_t = torch.from_numpy(rows)
            return self.means[0][rows_t], self.shares[0][rows_t]
        first = self.means[0]
        mean = first.new_empty((len(rows), first.shape[1]))
        share = self.shares[0].new_empty((len(rows), self.shares[0].shape[1]))
        sizes = [int(m.shape[0]) for m in self.means]
        offsets = np.cumsum([0, *sizes])
        seg = np.searchsorted(offsets, rows, side="right") - 1
        for s in range(len(sizes)):  # one gather per segment (at most MAX_SEGMENTS)
            at = np.flatnonzero(seg == s)
            if len(at):
                local = torch.from_numpy(rows[at] - offsets[s])
                at_t = torch.from_numpy(at)
                mean[at_t], share[at_t] = self.means[s][local], self.shares[s][local]
        return mean, share

    def replaced(
        self,
        positions: np.ndarray,
        mean: torch.Tensor,
        share: torch.Tensor,
        n: int,
        old_pos: np.ndarray,
    ) -> UserRows:
        """These rows re-laid for ``n`` users (old user ``i`` now at ``old_pos[i]``), the users
        at ``positions`` reading the new ``mean`` / ``share`` rows (one new segment)."""
        index = np.empty(n, dtype=np.int64)
        index[old_pos] = self.index
        stored = self.stored
        index[positions] = stored + np.arange(len(positions), dtype=np.int64)
        rows = UserRows((*self.means, mean), (*self.shares, share), index)
        if stored + len(positions) > 2 * n + 1024 or len(rows.means) > MAX_SEGMENTS:
            return UserRows.of(*rows.read())  # mostly rows nobody here reads: compact
        return rows
