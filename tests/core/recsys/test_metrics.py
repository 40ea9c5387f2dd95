import math

import numpy as np
import pytest
import torch

from core.errors import InvalidInputError
from core.recsys.metrics import (
    REPORT_COLUMNS,
    batched_rank_metrics,
    best_threshold,
    binary_scores,
    protocol,
    rank_metrics,
    report_columns,
    report_frame,
    report_row,
    target_ranks,
)


def test_rank_metrics_match_hand_computed_values():
    scores = torch.tensor([[0.9, 0.5, 0.1, 0.3], [0.1, 0.2, 0.3, 0.4]])
    targets = torch.tensor([1, 0])  # ranks 1 and 3 (0-based)
    m = rank_metrics(scores, targets, k=2)
    assert m.hr == pytest.approx(0.5)
    assert m.ndcg == pytest.approx((1 / math.log2(3) + 0) / 2)
    assert m.mrr == pytest.approx((1 / 2 + 1 / 4) / 2)
    # top-2 lists: {0, 1} and {3, 2} -> every item covered
    assert m.coverage == pytest.approx(1.0)
    assert m.n_users == 2


def test_ties_count_as_the_expected_rank_under_random_order():
    scores = torch.zeros(1, 4)
    assert target_ranks(scores, torch.tensor([2])).item() == pytest.approx(1.5)
    m = rank_metrics(scores, torch.tensor([2]), k=1)
    assert m.hr == 0.0
    assert m.mrr == pytest.approx(1 / 2.5)


def test_an_excluded_target_is_a_miss():
    scores = torch.tensor([[float("-inf"), 0.2, 0.1]])
    m = rank_metrics(scores, torch.tensor([0]), k=3)
    assert m.hr == 0.0 and m.ndcg == 0.0 and m.mrr == 0.0


def test_excluded_items_do_not_count_towards_coverage():
    scores = torch.tensor([[0.5, float("-inf"), float("-inf")]])
    assert rank_metrics(scores, torch.tensor([0]), k=3).coverage == pytest.approx(1 / 3)


def test_bad_shapes_and_k_are_rejected_with_the_argument_named():
    with pytest.raises(InvalidInputError, match="scores, targets"):
        target_ranks(torch.zeros(2, 3), torch.zeros(3, dtype=torch.long))
    with pytest.raises(InvalidInputError, match="k: expected a positive integer"):
        rank_metrics(torch.zeros(1, 3), torch.zeros(1, dtype=torch.long), k=0)


def test_auc_equals_the_pairwise_brute_force_and_f1_is_hand_computed():
    rng = np.random.default_rng(0)
    prob = np.round(rng.random(40), 1)  # rounded: plenty of ties
    label = (rng.random(40) < 0.4).astype(int)
    pos, neg = prob[label == 1], prob[label == 0]
    brute = ((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])).mean()
    auc, f1 = binary_scores(prob, label, 0.5)
    assert auc == pytest.approx(brute)
    pred = prob >= 0.5
    tp = (pred & (label == 1)).sum()
    assert f1 == pytest.approx(2 * tp / (pred.sum() + label.sum()))


def test_auc_is_nan_with_one_class_only():
    auc, f1 = binary_scores(np.array([0.1, 0.9]), np.array([1, 1]), 0.5)
    assert math.isnan(auc) and math.isnan(f1)


def test_best_threshold_separates_a_separable_set():
    prob = np.array([0.1, 0.2, 0.8, 0.9])
    label = np.array([0, 0, 1, 1])
    t = best_threshold(prob, label)
    assert binary_scores(prob, label, t)[1] == pytest.approx(1.0)


def test_protocol_names_split_ranking_and_seen_policy():
    text = protocol("validation", 1000, True, 42)
    assert "second-to-last" in text and "all 1000 items" in text and "excluded" in text
    assert "42 users" in text
    row = report_row(
        "m", "test", rank_metrics(torch.eye(3), torch.arange(3)), protocol("test", 3, False, 3)
    )
    frame = report_frame([row])
    assert list(frame.columns)[-1] == "protocol" and frame.loc[0, "HR@10"] == 1.0


def test_report_rows_name_the_cut_off_they_were_computed_at():
    # regression: report_row wrote "@10" whatever k was
    scores = torch.tensor([[0.9, 0.5, 0.1, 0.3], [0.1, 0.2, 0.3, 0.4]])
    m = rank_metrics(scores, torch.tensor([1, 0]), k=2)
    row = report_row("m", "test", m, "p")
    assert row["HR@2"] == pytest.approx(0.5) and row["coverage@2"] == pytest.approx(1.0)
    assert "HR@10" not in row and row["segment"] == "all"
    frame = report_frame([row], k=2)
    assert list(frame.columns) == list(report_columns(2))
    assert frame.loc[0, "NDCG@2"] == pytest.approx(1 / math.log2(3) / 2)
    assert report_columns(10) == REPORT_COLUMNS


def test_batched_metrics_equal_the_metrics_of_the_whole_matrix():
    scores = torch.tensor([[0.9, 0.5, 0.1, 0.3], [0.1, 0.2, 0.3, 0.4], [0.0, 0.0, 1.0, 0.0]])
    targets = torch.tensor([1, 0, 2])  # ranks 1, 3, 0
    whole = rank_metrics(scores, targets, k=2)
    parts = batched_rank_metrics([(scores[:2], targets[:2]), (scores[2:], targets[2:])], 4, k=2)
    assert parts == whole
    assert whole.hr == pytest.approx(2 / 3)
    assert whole.mrr == pytest.approx((1 / 2 + 1 / 4 + 1) / 3)
    empty = batched_rank_metrics([], 4)
    assert empty.n_users == 0 and math.isnan(empty.hr)
