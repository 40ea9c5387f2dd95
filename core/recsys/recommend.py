"""Top-k unseen items per user from a trained model bundle, each with the reason behind it.

The score of an item blends three parts, each min-max scaled to [0, 1] over the user's unseen items:

* ``sequence``: the sequence model's probability that the item comes next;
* ``interest``: cosine between the user's time-decayed interest vector and the item vector
  (language-model vectors when the model has them, else the model's own item embeddings);
* ``geo`` (only with ``near=(lat, lon)``): half proximity of the item's usual place to ``near``,
  half the item's popularity around ``near``.

``score = (w_seq * sequence + w_int * interest + w_geo * geo) / (sum of the weights used)``; the
weights travel with the result (``DataFrame.attrs["blend"]``).

A reason names the past steps (item, time) most similar to the recommended item, weighted by
recency, and the topic the item serves.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import torch

from core.errors import InvalidInputError
from core.recsys import baselines
from core.recsys.persist import ModelBundle
from core.recsys.reasons import REASON_STEPS, reason_text, reasons
from core.recsys.sequences import Steps, batch_from, build_steps, ranges
from core.schema import ITEM, ITEM_TEXT, LAT, LON, USER, item_table
from core.spacetime.geo import haversine_m

#: Columns of a recommendation table, in display order.
COLUMNS = (
    ITEM,
    ITEM_TEXT,
    "score",
    "seq_score",
    "interest_score",
    "geo_score",
    "seq_share",
    "interest_share",
    "geo_share",
    "topic",
    "reason",
    "reason_items",
)


@dataclass(frozen=True)
class BlendWeights:
    """Weights of the score parts and the constants they use.

    ``sequence``, ``interest`` and ``geo`` weigh the min-max scaled sequence-model, interest
    (cosine to the user's decayed item vectors) and nearness scores; each is divided by their total
    (``geo`` only counts when a location is given), so a recommendation's score parts add up to its
    score. ``half_life_days`` decays the history behind the interest part and the reasons;
    ``geo_scale_km`` is the distance scale of :func:`geo_scores`.
    """

    sequence: float = 0.6
    interest: float = 0.3
    geo: float = 0.1
    half_life_days: float = 14.0
    geo_scale_km: float = 5.0

    def validate(self) -> None:
        for name in ("sequence", "interest", "geo"):
            if getattr(self, name) < 0:
                raise InvalidInputError(
                    f"weights.{name}: expected >= 0, found {getattr(self, name)}"
                )
        if self.sequence + self.interest <= 0:
            raise InvalidInputError(
                f"weights: expected sequence + interest > 0, found {self.sequence} + {self.interest}"
            )

    def describe(self, with_geo: bool) -> str:
        parts = [f"{self.sequence:g}·sequence", f"{self.interest:g}·interest"]
        if with_geo:
            parts.append(f"{self.geo:g}·geo")
        return (
            f"score = ({' + '.join(parts)}) / {self.total(with_geo):g}; each part min-max scaled "
            f"over the user's unseen items"
        )

    def total(self, with_geo: bool) -> float:
        return self.sequence + self.interest + (self.geo if with_geo else 0.0)


def _minmax(x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    lo = torch.where(valid, x, torch.full_like(x, torch.inf)).amin(1, keepdim=True)
    hi = torch.where(valid, x, torch.full_like(x, -torch.inf)).amax(1, keepdim=True)
    span = (hi - lo).clamp(min=1e-12)
    out = torch.where(valid, (x - lo) / span, torch.zeros_like(x))
    return torch.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)


def _haversine_km(lat: torch.Tensor, lon: torch.Tensor, lat0: float, lon0: float) -> torch.Tensor:
    """Distance in km from (lat0, lon0), by the one haversine of :mod:`core.spacetime.geo`."""
    metres = haversine_m(lat.numpy(), lon.numpy(), lat0, lon0)
    return torch.from_numpy(np.asarray(metres, dtype=np.float64) / 1000.0)


def geo_scores(
    events: pd.DataFrame, items: pd.Index, near: tuple[float, float], scale_km: float
) -> torch.Tensor:
    """Per item: 0.5 * exp(-distance / scale) of its mean location + 0.5 * local popularity.

    Local popularity is ``log1p(events within 2 * scale_km of near)`` divided by its maximum.
    Items without any located event score 0.

    Parameters
    ----------
    events
        Canonical EventLog.
    items
        The model's items (vocab order).
    near
        ``(lat, lon)`` in degrees.
    scale_km
        Distance scale.

    Returns
    -------
    torch.Tensor
        ``(n_items,)`` float32 scores in [0, 1].

    Raises
    ------
    InvalidInputError
        If ``near`` is not a coordinate.
    """
    lat0, lon0 = float(near[0]), float(near[1])
    if not (-90 <= lat0 <= 90 and -180 <= lon0 <= 180):
        raise InvalidInputError(f"near: expected (lat, lon) in degrees, found {near}")
    located = events[[ITEM, LAT, LON]].dropna()
    code = items.get_indexer(located[ITEM].astype(str))
    keep = code >= 0
    code = code[keep]
    lat = torch.as_tensor(located[LAT].to_numpy()[keep], dtype=torch.float64)
    lon = torch.as_tensor(located[LON].to_numpy()[keep], dtype=torch.float64)
    n = len(items)
    count = np.bincount(code, minlength=n).astype(np.float64)
    mean_lat = torch.from_numpy(
        np.bincount(code, weights=lat.numpy(), minlength=n) / np.maximum(count, 1)
    )
    mean_lon = torch.from_numpy(
        np.bincount(code, weights=lon.numpy(), minlength=n) / np.maximum(count, 1)
    )
    prox = torch.exp(-_haversine_km(mean_lat, mean_lon, lat0, lon0) / scale_km)
    near_mask = (_haversine_km(lat, lon, lat0, lon0) <= 2 * scale_km).numpy()
    local = np.log1p(np.bincount(code[near_mask], minlength=n).astype(np.float64))
    local = torch.from_numpy(local / max(local.max(), 1e-12))
    has = torch.from_numpy(count > 0)
    return torch.where(has, 0.5 * prox + 0.5 * local, torch.zeros_like(prox)).float()


def _score(
    bundle: ModelBundle,
    steps: Steps,
    users: np.ndarray,
    weights: BlendWeights,
    geo: torch.Tensor | None,
    popularity: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, tuple]:
    """(blend, seq, interest, geo, unseen, shares) each ``(B, n_items)`` for the user codes
    ``users``; ``shares`` = the (sequence, interest, geo) parts of ``blend``, which add up to it."""
    model = bundle.model
    device = model.device
    n_items = model.config.n_items
    lo, length = steps.start[users], steps.length[users]
    hi = lo + length
    batch = batch_from(steps, lo, hi, model.config.max_len).to(device)
    seq = torch.softmax(model.full_sort_predict(batch).float(), dim=1)  # (B, n_items)
    cold = torch.as_tensor(length == 0, device=device)
    seq = torch.where(cold[:, None], popularity[None, :].to(device), seq)
    r, idx = ranges(lo, length)
    unseen = torch.ones(len(users), n_items, dtype=torch.bool, device=device)
    unseen[
        torch.as_tensor(r, device=device), torch.as_tensor(steps.item[idx] - 1, device=device)
    ] = False
    table = _similarity_table(bundle)
    uvec = baselines.interest_vectors(
        r,
        steps.item[idx] - 1,
        steps.ts[idx],
        steps.weight[idx],
        len(users),
        table,
        weights.half_life_days,
    )
    interest = baselines.cosine_scores(uvec, table)  # (B, n_items)
    total = weights.total(geo is not None)
    geo_part = torch.zeros_like(seq)
    if geo is not None:
        geo_part = geo.to(device)[None, :].expand_as(seq)
    # Each part's share of the score: its weight times its scaled value; the shares add up to it.
    shares = (
        weights.sequence * _minmax(seq, unseen) / total,
        weights.interest * _minmax(interest, unseen) / total,
        (weights.geo * geo_part / total) if geo is not None else torch.zeros_like(seq),
    )
    blend = (shares[0] + shares[1] + shares[2]).clamp(0.0, 1.0)  # rounding stays in [0, 1]
    blend = blend.masked_fill(~unseen, float("-inf"))
    return blend, seq, interest, geo_part, unseen, shares


def _similarity_table(bundle: ModelBundle) -> torch.Tensor:
    """Item vectors used for interest and reasons: LM vectors if present, else model embeddings."""
    vecs = bundle.item_vectors
    if vecs is not None and bool((vecs.abs().sum(1) > 0).any()):
        return torch.nn.functional.normalize(vecs.float(), dim=1)
    with torch.inference_mode():
        return torch.nn.functional.normalize(bundle.model.item_table()[1:].float(), dim=1)


def _assemble(
    bundle: ModelBundle,
    events: pd.DataFrame,
    steps: Steps,
    users: np.ndarray,
    k: int,
    weights: BlendWeights,
    near: tuple[float, float] | None,
    with_user: bool,
) -> pd.DataFrame:
    model = bundle.model
    device = model.device
    n_items = model.config.n_items
    popularity = torch.from_numpy(np.bincount(steps.item - 1, minlength=n_items).astype(np.float32))
    popularity = popularity / popularity.sum().clamp(min=1)
    geo = None
    if near is not None:
        geo = geo_scores(events, bundle.vocab.items, near, weights.geo_scale_km)
    blend, seq, interest, geo_part, _, shares = _score(
        bundle, steps, users, weights, geo, popularity
    )
    kk = min(k, n_items)
    best = torch.topk(blend, kk, dim=1)
    finite = torch.isfinite(best.values).cpu().numpy()  # (B, kk)
    top = best.indices
    chosen, _, _ = reasons(bundle, steps, users, top, weights.half_life_days)
    b_idx, r_idx = np.nonzero(finite)
    item_col = top.cpu().numpy()[b_idx, r_idx]
    take = (torch.as_tensor(b_idx, device=device), torch.as_tensor(item_col, device=device))
    texts = item_table(events).set_index(ITEM)[ITEM_TEXT]
    texts.index = texts.index.astype(str)
    item_ids = bundle.vocab.items.to_numpy()[item_col]
    out = pd.DataFrame(
        {
            ITEM: item_ids,
            ITEM_TEXT: texts.reindex(item_ids).to_numpy(dtype=object),
            "score": best.values.cpu().numpy()[b_idx, r_idx],
            "seq_score": seq[take].cpu().numpy(),
            "interest_score": interest[take].cpu().numpy(),
            "geo_score": geo_part[take].cpu().numpy(),
            "seq_share": shares[0][take].cpu().numpy(),
            "interest_share": shares[1][take].cpu().numpy(),
            "geo_share": shares[2][take].cpu().numpy(),
        }
    )
    topics = (
        np.asarray(bundle.item_topic, dtype=object)[item_col]
        if bundle.item_topic is not None
        else np.full(len(item_col), "", dtype=object)
    )
    out["topic"] = topics
    out["reason"], out["reason_items"] = reason_text(
        bundle, steps, chosen[b_idx, r_idx], texts, out["topic"]
    )
    if with_user:
        out.insert(0, "rank", r_idx + 1)
        out.insert(0, USER, bundle.vocab.users.to_numpy()[users[b_idx]])
    out.attrs["blend"] = weights.describe(near is not None)
    out.attrs["weights"] = asdict(weights)
    return out


def top_k(
    model_bundle: ModelBundle,
    events: pd.DataFrame,
    user: str,
    k: int = 10,
    at_time: pd.Timestamp | str | None = None,
    near: tuple[float, float] | None = None,
    weights: BlendWeights = BlendWeights(),
) -> pd.DataFrame:
    """The ``k`` best unseen items for one user, with scores and reasons.

    Parameters
    ----------
    model_bundle
        A trained model (``core.recsys.persist.bundle_from`` / ``core.recsys.persist.load``).
    events
        Canonical EventLog; the user's history is read from it.
    user
        A user id present in the model's vocabulary.
    k
        Number of items.
    at_time
        Use only history at or before this time (default: all).
    near
        ``(lat, lon)``: blend in proximity / local popularity around that place.
    weights
        Blend weights, shown in ``result.attrs["blend"]``.

    Returns
    -------
    pd.DataFrame
        Columns ``COLUMNS``, best first; fewer than ``k`` rows if the catalogue runs out.

    Raises
    ------
    InvalidInputError
        If the user is unknown, ``k`` < 1, or a weight is negative.
    """
    weights.validate()
    if k < 1:
        raise InvalidInputError(f"k: expected a positive integer, found {k}")
    code = model_bundle.vocab.users.get_indexer([str(user)])[0]
    if code < 0:
        raise InvalidInputError(
            f"user: expected a user id the model was trained on, found {user!r} "
            f"({len(model_bundle.vocab.users)} known users)"
        )
    steps = build_steps(events, model_bundle.vocab, model_bundle.spec.collapse_repeats, at_time)
    out = _assemble(model_bundle, events, steps, np.array([code]), k, weights, near, False)
    return out[list(COLUMNS)].reset_index(drop=True).pipe(_keep_attrs, out)


def _keep_attrs(frame: pd.DataFrame, source: pd.DataFrame) -> pd.DataFrame:
    frame.attrs.update(source.attrs)
    return frame


def score_all_users(
    model_bundle: ModelBundle,
    events: pd.DataFrame,
    k: int = 10,
    at_time: pd.Timestamp | str | None = None,
    near: tuple[float, float] | None = None,
    weights: BlendWeights = BlendWeights(),
    batch_size: int = 2048,
) -> pd.DataFrame:
    """Top-``k`` recommendations with reasons for every user of the model, in batches on its device.

    Parameters
    ----------
    model_bundle, events, k, at_time, near, weights
        As for :func:`top_k`, for all users of the model's vocabulary at once.
    batch_size
        Users scored together (bounds the (batch, n_items) score matrix in memory).

    Returns
    -------
    pd.DataFrame
        ``user_id``, ``rank`` (1 = best) and the columns of ``top_k``.

    Raises
    ------
    InvalidInputError
        If ``k`` is not a positive integer.
    """
    weights.validate()
    if k < 1:
        raise InvalidInputError(f"k: expected a positive integer, found {k}")
    steps = build_steps(events, model_bundle.vocab, model_bundle.spec.collapse_repeats, at_time)
    n = len(model_bundle.vocab.users)
    size = max(1, min(batch_size, 8_000_000 // max(model_bundle.model.config.n_items, 1)))
    frames = [
        _assemble(
            model_bundle, events, steps, np.arange(s, min(n, s + size)), k, weights, near, True
        )
        for s in range(0, n, size)  # batches of users, each scored in one pass on the device
    ]
    out = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=[USER, "rank", *COLUMNS])
    )
    out.attrs["blend"] = weights.describe(near is not None)
    out.attrs["weights"] = asdict(weights)
    return out


__all__ = ["COLUMNS", "REASON_STEPS", "BlendWeights", "geo_scores", "score_all_users", "top_k"]
