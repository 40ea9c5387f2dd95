import numpy as np
import pandas as pd
import pytest
import torch

from core.errors import InvalidInputError
from core.recsys import baselines


def test_popularity_counts_history_steps():
    assert baselines.popularity(np.array([0, 2, 2, 3]), 5).tolist() == [1, 0, 2, 1, 0]


def test_itemknn_similarity_equals_brute_force_cosine_over_users():
    users = np.array([0, 0, 1, 1, 1, 2, 2, 0])
    items = np.array([0, 1, 0, 2, 1, 2, 3, 0])  # user 0 touches item 0 twice: counts once
    sim = baselines.itemknn_similarity(users, items, 4)
    x = pd.crosstab(users, items).clip(upper=1).to_numpy(dtype=float)  # users x items
    co = x.T @ x
    norm = np.sqrt(np.diag(co))
    expected = co / norm[:, None] / norm[None, :]
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(sim.numpy(), expected, rtol=1e-6)


def test_itemknn_scores_sum_similarities_of_history_items():
    sim = torch.tensor([[0.0, 0.5, 0.1], [0.5, 0.0, 0.2], [0.1, 0.2, 0.0]])
    scores = baselines.itemknn_scores(sim, np.array([0, 0, 1]), np.array([0, 1, 2]), 2)
    np.testing.assert_allclose(scores.numpy(), [[0.5, 0.5, 0.3], [0.1, 0.2, 0.0]], rtol=1e-6)


def test_itemknn_refuses_a_catalogue_too_big_for_a_dense_matrix():
    with pytest.raises(InvalidInputError, match="n_items"):
        baselines.itemknn_similarity(np.array([0]), np.array([0]), baselines.MAX_KNN_ITEMS + 1)


def test_interest_vectors_are_half_life_weighted_means():
    vecs = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    day = 86400.0
    # one user: item 0 fourteen days before item 1 -> weights 0.5 and 1 (times event weights 1)
    out = baselines.interest_vectors(
        np.array([0, 0]), np.array([0, 1]), np.array([0.0, 14 * day]), np.ones(2), 1, vecs, 14.0
    )
    expected = torch.nn.functional.normalize(torch.tensor([[0.5, 1.0]]), dim=1)
    torch.testing.assert_close(out, expected)
    cos = baselines.cosine_scores(out, vecs)
    assert cos[0, 1] > cos[0, 0]


def test_interest_vectors_reject_a_non_positive_half_life():
    with pytest.raises(InvalidInputError, match="half_life_days"):
        baselines.interest_vectors(
            np.array([0]), np.array([0]), np.zeros(1), np.ones(1), 1, torch.eye(2), 0
        )


def test_popularity_prior_is_log_counts_scaled_to_one():
    prior = baselines.popularity_prior(torch.tensor([0.0, 1.0, 3.0, 0.0]))
    # log1p(1) / log1p(3) = log 2 / log 4 = 0.5
    torch.testing.assert_close(prior, torch.tensor([0.0, 0.5, 1.0, 0.0]))
    assert baselines.popularity_prior(torch.zeros(2)).tolist() == [0.0, 0.0]


def test_lm_interest_adds_the_weighted_prior_to_the_cosine():
    user = torch.tensor([[1.0, 0.0]])
    items = torch.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    prior = torch.tensor([0.0, 1.0, 0.5])
    plain = baselines.lm_interest_scores(user, items)
    torch.testing.assert_close(plain, torch.tensor([[1.0, 0.0, 2**-0.5]]))
    mixed = baselines.lm_interest_scores(user, items, prior, 0.4)
    torch.testing.assert_close(mixed, torch.tensor([[1.0, 0.4, 2**-0.5 + 0.2]]))
