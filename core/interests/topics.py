"""Interest topics: item vectors clustered into K groups, each named from its items' text.

Clustering is spherical k-means in torch on the chosen device (vectors are unit length, so the
nearest centroid is the one with the largest dot product), k-means++ seeding and a few restarts.
K is the analyst's, or chosen by the cosine silhouette over ``k_range``. Labels come from
``core.interests.labels`` (categories first, then distinctive words of the item text, brands last);
a topic whose items have neither is named by its most central items.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from core.device import pick_device, serial_cpu
from core.display import distinct_labels
from core.errors import InvalidInputError
from core.interests.embeddings import ItemVectors
from core.interests.labels import topic_labels
from core.schema import CATEGORY, ITEM, WEIGHT, codes


@dataclass(frozen=True)
class TopicSpec:
    """How to find topics. ``k`` None = chosen by silhouette over ``k_range`` (inclusive)."""

    k: int | None = None
    k_range: tuple[int, int] = (4, 16)
    seed: int = 0
    device: str = "auto"
    n_init: int = 3
    max_iter: int = 50
    n_terms: int = 3
    n_top_items: int = 5
    silhouette_sample: int = 4000


@dataclass(frozen=True)
class Topics:
    """K topics over the items of an ItemVectors.

    ``item_topic``: (n_items,) int64 topic of each item (ItemVectors row order). ``labels``: one
    readable, unique label per topic. ``centroids``: (k, d) float32 unit vectors, CPU. ``table``: one
    row per topic with ``topic, label, size, weight_share, top_items, top_titles``. ``silhouette``:
    mean cosine silhouette of the clustering (NaN when k < 2).
    """

    item_topic: np.ndarray
    labels: tuple[str, ...]
    centroids: torch.Tensor
    table: pd.DataFrame
    k: int
    silhouette: float
    item_ids: tuple[str, ...] = ()

    def item_labels(self) -> dict[str, str]:
        """Each item's topic label.

        Returns
        -------
        dict of str to str
            ``item_id -> label`` for every item (ItemVectors row order); an item with no topic
            (a negative ``item_topic``) maps to "".

        Raises
        ------
        InvalidInputError
            If the topics were built without item ids.
        """
        if len(self.item_ids) != len(self.item_topic):
            raise InvalidInputError(
                f"item_ids: expected one per item ({len(self.item_topic)}), "
                f"found {len(self.item_ids)}"
            )
        labels = np.asarray(self.labels, dtype=object)
        topic = np.asarray(self.item_topic)
        named = np.where(topic >= 0, labels[np.clip(topic, 0, None)], "")
        return dict(zip(self.item_ids, named.tolist(), strict=True))


def _kmeanspp(x: torch.Tensor, k: int, gen: torch.Generator) -> torch.Tensor:
    n = x.shape[0]
    first = torch.randint(n, (1,), generator=gen, device="cpu").to(x.device)
    centres = [x[first[0]]]
    dist = (1.0 - x @ centres[0]).clamp_min(0)  # (n,)
    for _ in range(1, k):  # k seeds, each vectorised over all items
        probs = dist / dist.sum() if float(dist.sum()) > 0 else torch.full_like(dist, 1.0 / n)
        pick = torch.multinomial(probs.float().cpu(), 1, generator=gen).to(x.device)
        centres.append(x[pick[0]])
        dist = torch.minimum(dist, (1.0 - x @ centres[-1]).clamp_min(0))
    return torch.stack(centres)


def kmeans(
    x: torch.Tensor, k: int, seed: int = 0, n_init: int = 3, max_iter: int = 50
) -> tuple[torch.Tensor, torch.Tensor, float]:
    """Spherical k-means of unit rows ``x`` (n, d) on x's device.

    Parameters
    ----------
    x
        (n, d) unit vectors.
    k
        Number of clusters, 1 <= k <= n.
    seed, n_init, max_iter
        k-means++ seed, restarts and Lloyd iterations per restart.

    Returns
    -------
    tuple of (torch.Tensor, torch.Tensor, float)
        ``(labels (n,) int64, centroids (k, d) unit, objective)`` of the best restart; the
        objective is the sum of cosine distances to the assigned centroid (lower is better).

    Raises
    ------
    InvalidInputError
        If ``k`` is outside [1, n].
    """
    n = x.shape[0]
    if not 1 <= k <= n:
        raise InvalidInputError(f"k must be within [1, n_items={n}]: got {k}")
    gen = torch.Generator().manual_seed(seed)
    best: tuple[torch.Tensor, torch.Tensor, float] | None = None
    for _ in range(n_init):  # a few restarts
        cent = _kmeanspp(x, k, gen)
        labels = torch.full((n,), -1, dtype=torch.int64, device=x.device)
        for _ in range(max_iter):  # Lloyd iterations, vectorised over items
            new = (x @ cent.T).argmax(dim=1)  # (n,)
            if torch.equal(new, labels):
                break
            labels = new
            # (k, d); scatter_add_ sums in the same order as index_add_ (equal results) and is
            # ~100x quicker on the CPU
            sums = torch.zeros_like(cent).scatter_add_(0, labels[:, None].expand_as(x), x)
            counts = torch.bincount(labels, minlength=k)
            empty = counts == 0
            if bool(empty.any()):  # re-seed an empty cluster at the worst-served item
                far = (1.0 - (x * cent[labels]).sum(1)).topk(int(empty.sum())).indices
                sums[empty] = x[far]
            cent = torch.nn.functional.normalize(sums, dim=1)
        labels = (x @ cent.T).argmax(dim=1)
        obj = float((1.0 - (x * cent[labels]).sum(1)).sum())
        if best is None or obj < best[2]:
            best = (labels, cent, obj)
    assert best is not None
    return best


def silhouette(x: torch.Tensor, labels: torch.Tensor, k: int) -> float:
    """Mean cosine silhouette of a clustering.

    Parameters
    ----------
    x
        (n, d) unit vectors.
    labels
        (n,) int64 cluster of each row.
    k
        Number of clusters.

    Returns
    -------
    float
        The mean silhouette (singletons count 0); NaN when k < 2.
    """
    if k < 2:
        return float("nan")
    xd = x.double()
    onehot = torch.nn.functional.one_hot(labels, k).double()  # (n, k)
    counts = onehot.sum(0)  # (k,)
    # Total cosine distance from each row to each cluster, without the (n, n) distance matrix:
    # sum over j in c of (1 - x_i . x_j) = |c| - x_i . (sum over j in c of x_j).  O(n d k).
    sums = (counts[None, :] - xd @ (xd.T @ onehot)).clamp_min(0)  # (n, k)
    own = counts[labels]
    a = sums.gather(1, labels[:, None]).squeeze(1) / (own - 1).clamp_min(1)
    mean_other = sums / counts.clamp_min(1)
    mean_other[torch.arange(len(labels)), labels] = float("inf")
    mean_other[:, counts == 0] = float("inf")
    b = mean_other.min(1).values
    s = (b - a) / torch.maximum(a, b).clamp_min(1e-12)
    s = torch.where(own > 1, s, torch.zeros_like(s))
    return float(s.mean())


def find_topics(
    vectors: ItemVectors, events: pd.DataFrame, spec: TopicSpec = TopicSpec()
) -> Topics:
    """Cluster item vectors into named interest topics.

    Parameters
    ----------
    vectors
        Item vectors (``build_item_vectors``).
    events
        The EventLog they came from (for item engagement: top items and topic weight shares).
    spec
        K (or the range to choose it from), seed, device.

    Returns
    -------
    Topics

    Raises
    ------
    InvalidInputError
        If ``k`` or ``k_range`` do not fit the number of items.

    Examples
    --------
    >>> topics = find_topics(item_vectors, events, TopicSpec(k=10))  # doctest: +SKIP
    >>> topics.table[["label", "size"]].head(2)  # doctest: +SKIP
    """
    n = len(vectors.item_ids)
    lo, hi = spec.k_range
    if spec.k is None and not 2 <= lo <= hi:
        raise InvalidInputError(f"k_range must satisfy 2 <= low <= high: got {spec.k_range}")
    if spec.k is not None and not 1 <= spec.k <= n:
        raise InvalidInputError(f"k must be within [1, n_items={n}]: got {spec.k}")
    if n == 0:
        raise InvalidInputError("no items to cluster: found an empty ItemVectors")
    device = pick_device(spec.device)
    x = vectors.vectors.to(device=device, dtype=torch.float32)
    x = torch.nn.functional.normalize(x, dim=1)

    gen = torch.Generator().manual_seed(spec.seed)
    sample = (
        torch.randperm(n, generator=gen)[: spec.silhouette_sample].to(device)
        if n > spec.silhouette_sample
        else torch.arange(n, device=device)
    )
    candidates = [spec.k] if spec.k is not None else list(range(lo, min(hi, n - 1) + 1)) or [1]
    best = None
    with serial_cpu(device):  # many small ops: one CPU thread is quicker (see serial_cpu)
        for k in candidates:  # a dozen values of K at most
            labels, cent, _ = kmeans(x, k, spec.seed, spec.n_init, spec.max_iter)
            score = silhouette(x[sample], labels[sample], k)
            if best is None or (score > best[3]) or np.isnan(best[3]):
                best = (k, labels, cent, score)
    assert best is not None
    k, labels_t, cent, score = best
    item_topic = labels_t.cpu().numpy().astype(np.int64)
    return _assemble(vectors, events, spec, k, item_topic, cent.cpu().float(), x, score)


def _assemble(
    vectors: ItemVectors,
    events: pd.DataFrame,
    spec: TopicSpec,
    k: int,
    item_topic: np.ndarray,
    cent: torch.Tensor,
    x: torch.Tensor,
    score: float,
) -> Topics:
    n = len(vectors.item_ids)
    item_ids = np.array(vectors.item_ids, dtype=object)
    text = pd.Series(list(vectors.item_text) if vectors.item_text else [None] * n, dtype="object")
    # Engagement per item: summed event weight (events whose item is in the vectors).
    ev_codes, ev_items = codes(events[ITEM])
    pos = pd.Index(item_ids.astype(str)).get_indexer(ev_items.astype(str))[ev_codes]
    w = events[WEIGHT].fillna(1.0).to_numpy(dtype=np.float64)
    ok = pos >= 0
    engagement = np.bincount(pos[ok], weights=w[ok], minlength=n)

    size = np.bincount(item_topic, minlength=k)
    topic_weight = np.bincount(item_topic, weights=engagement, minlength=k)
    centrality = (x.cpu() * cent[torch.from_numpy(item_topic)]).sum(1).numpy()
    # Top items: most engaged first; central first among ties.
    order = np.lexsort((-centrality, -engagement, item_topic))
    rank = np.arange(n) - np.searchsorted(item_topic[order], item_topic[order])
    top = order[rank < spec.n_top_items]
    top_topic = item_topic[top]
    central = np.lexsort((-centrality, item_topic))
    crank = np.arange(n) - np.searchsorted(item_topic[central], item_topic[central])
    central = central[crank < 2]

    category = None
    if CATEGORY in events.columns:  # one category per item (its first), in vectors order
        first = events.groupby(ITEM, observed=True)[CATEGORY].first()
        category = pd.Series(first.reindex(item_ids.astype(str)).to_numpy(), dtype="object")
    terms = topic_labels(text, item_topic, k, spec.n_terms, category)
    shown = text.where(text.notna(), pd.Series(item_ids, dtype="object"))
    central_names = (
        pd.Series(shown.to_numpy()[central], dtype="object")
        .groupby(item_topic[central])
        .agg(lambda s: " / ".join(map(str, s)))
    )
    labels = [terms[c] if terms[c] else str(central_names.get(c, f"topic {c}")) for c in range(k)]
    labels = _unique(labels)
    top_items = pd.Series(item_ids[top], dtype="object").groupby(top_topic).agg(list)
    # items that share a title (ten "Tim Hortons", venues named by their category) are told
    # apart as everywhere in the product (``core.display``), never merged into one name
    shown_top = distinct_labels(
        pd.Series(shown.to_numpy()[top], dtype="object"), pd.Series(item_ids[top], dtype="object")
    )
    top_titles = pd.Series(shown_top.to_numpy(), dtype="object").groupby(top_topic).agg(" | ".join)
    total = topic_weight.sum()
    table = pd.DataFrame(
        {
            "topic": np.arange(k, dtype=np.int64),
            "label": labels,
            "size": size.astype(np.int64),
            "weight_share": topic_weight / total if total > 0 else np.zeros(k),
            "top_items": [top_items.get(c, []) for c in range(k)],
            "top_titles": [top_titles.get(c, "") for c in range(k)],
        }
    )
    return Topics(
        item_topic=item_topic,
        labels=tuple(labels),
        centroids=cent,
        table=table,
        k=k,
        silhouette=float(score),
        item_ids=tuple(vectors.item_ids),
    )


def _unique(labels: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for lab in labels:  # k labels
        seen[lab] = seen.get(lab, 0) + 1
        out.append(lab if seen[lab] == 1 else f"{lab} ({seen[lab]})")
    return out
