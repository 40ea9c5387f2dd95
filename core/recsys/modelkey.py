"""The cache key of a trained model: a stable hash of its data, spec and item initialisation.

``core.recsys.train`` re-exports ``model_key``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:
    from core.recsys.train import TrainSpec


def model_key(
    fingerprint: str,
    spec: TrainSpec,
    item_vectors: torch.Tensor | np.ndarray | None = None,
    item_ids: Sequence[str] | None = None,
    salt: str = "",
) -> str:
    """A stable hash of everything that decides a trained model, to key caches of models by.

    Two trainings get the same key exactly when they see the same data (``fingerprint``), the same
    spec (every hyper-parameter, the seed, the device and a time limit ``max_seconds``), and the same
    item initialisation: whether items start from language-model vectors at all, and which vectors
    (their values and the item ids they belong to).

    Parameters
    ----------
    fingerprint
        Fingerprint of the EventLog (e.g. ``Dataset.fingerprint``).
    spec
        The training spec.
    item_vectors
        The language-model vectors the items are initialised from, or ``None`` (ID-only).
    item_ids
        Item id of each row of ``item_vectors``.
    salt
        Anything else that must keep two models apart (e.g. a session id, so that one session's model
        is never served to another).

    Returns
    -------
    str
        32 hex characters.

    Examples
    --------
    >>> from core.recsys.train import TrainSpec
    >>> model_key("fp", TrainSpec()) == model_key("fp", TrainSpec())
    True
    >>> model_key("fp", TrainSpec()) == model_key("fp", TrainSpec(max_seconds=60.0))
    False
    """
    h = hashlib.blake2b(digest_size=16)
    head = {
        "fingerprint": str(fingerprint),
        "spec": asdict(spec),
        "text_init": item_vectors is not None,
        "salt": str(salt),
    }
    h.update(json.dumps(head, sort_keys=True, default=str).encode())
    if item_vectors is not None:
        vecs = torch.as_tensor(item_vectors).detach().float().cpu().contiguous().numpy()
        h.update(repr(vecs.shape).encode())
        h.update(vecs.tobytes())
    if item_ids is not None:
        h.update(b"\x00ids\x00" + "\x1f".join(str(i) for i in item_ids).encode())
    return h.hexdigest()


__all__ = ["model_key"]
