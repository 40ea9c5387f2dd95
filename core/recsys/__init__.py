"""Sequence recommendation: steps and splits, the model, its training, evaluation and use.

``sequences`` turns an EventLog into per-user steps and the leave-one-out splits; ``seqmodel`` is the
SASRec-style transformer; ``train`` fits it (``modelkey``: the key to cache a trained model by);
``evaluate`` compares it with the ``baselines`` on one protocol with the metrics of ``metrics``;
``persist`` saves and loads a trained model; ``recommend`` (with ``reasons``) turns a model into
top-k items with reasons.
"""

from core.recsys.evaluate import ID_ONLY_MODEL, SEQUENCE_MODEL, compare
from core.recsys.metrics import RankMetrics, rank_metrics
from core.recsys.persist import ModelBundle, bundle_from, load, save
from core.recsys.recommend import BlendWeights, score_all_users, top_k
from core.recsys.seqmodel import SeqConfig, SeqRec
from core.recsys.sequences import Steps, Vocab, build_steps, build_vocab, make_splits
from core.recsys.train import TrainResult, TrainSpec, fit, model_key, train_and_compare

__all__ = [
    "ID_ONLY_MODEL",
    "SEQUENCE_MODEL",
    "BlendWeights",
    "ModelBundle",
    "RankMetrics",
    "SeqConfig",
    "SeqRec",
    "Steps",
    "TrainResult",
    "TrainSpec",
    "Vocab",
    "build_steps",
    "build_vocab",
    "bundle_from",
    "compare",
    "fit",
    "load",
    "make_splits",
    "model_key",
    "rank_metrics",
    "save",
    "score_all_users",
    "top_k",
    "train_and_compare",
]
