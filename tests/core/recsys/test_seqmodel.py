import pytest
import torch

from core.errors import InvalidInputError, ModelUnavailableError
from core.recsys.seqmodel import (
    ID_DROPOUT_WEIGHT,
    N_GAP_BUCKETS,
    SeqBatch,
    SeqConfig,
    SeqRec,
    gap_bucket,
)


def small(**kw) -> SeqRec:
    torch.manual_seed(0)
    config = SeqConfig(n_items=9, max_len=6, d_model=16, n_heads=2, n_layers=2, dropout=0.0, **kw)
    return SeqRec(config).eval()


def test_outputs_have_the_documented_shapes():
    model = small()
    items = torch.tensor([[0, 0, 1, 2, 3, 4], [5, 6, 7, 8, 9, 1]])
    batch = SeqBatch(items=items)
    assert model(batch).shape == (2, 6, 16)
    assert model.full_sort_predict(batch).shape == (2, 9)
    assert model.predict(batch, torch.tensor([[1, 2], [3, 4]])).shape == (2, 2)


def test_predict_agrees_with_full_sort_predict():
    model = small()
    batch = SeqBatch(items=torch.tensor([[0, 3, 4, 5, 6, 7]]))
    full = model.full_sort_predict(batch)
    part = model.predict(batch, torch.tensor([[2, 9]]))
    torch.testing.assert_close(part, full[:, [1, 8]])


def test_padding_item_has_a_zero_embedding():
    model = small(text_dim=4)
    assert torch.count_nonzero(model.item_table()[0]) == 0


def test_left_padding_does_not_change_the_prediction():
    model = small(use_time_gap=True)
    short = SeqBatch(items=torch.tensor([[2, 3, 4]]), gaps=torch.tensor([[1, 5, 6]]))
    padded = SeqBatch(
        items=torch.tensor([[0, 0, 0, 2, 3, 4]]), gaps=torch.tensor([[0, 0, 0, 1, 5, 6]])
    )
    torch.testing.assert_close(model.full_sort_predict(short), model.full_sort_predict(padded))


def test_attention_is_causal():
    model = small()
    a = model(SeqBatch(items=torch.tensor([[1, 2, 3, 4, 5, 6]])))
    b = model(SeqBatch(items=torch.tensor([[1, 2, 3, 9, 9, 9]])))
    torch.testing.assert_close(a[:, :3], b[:, :3])
    assert not torch.allclose(a[:, 3:], b[:, 3:])


def test_losses_are_finite_and_train():
    model = small(n_event_types=3, propensity_head=True).train()
    items = torch.tensor([[0, 1, 2, 3, 4, 5]])
    targets = torch.tensor([[0, 2, 3, 4, 5, 6]])
    events = torch.tensor([[0, 1, 2, 1, 3, 1]])
    purchase = torch.tensor([[0.0, 1.0, 0.0, 0.0, 1.0, 0.0]])
    batch = SeqBatch(items=items, events=events)
    full = model.calculate_loss(batch, targets, purchase_next=purchase)
    sampled = model.calculate_loss(
        batch, targets, n_negatives=4, generator=torch.Generator().manual_seed(0)
    )
    assert torch.isfinite(full) and torch.isfinite(sampled)
    full.backward()
    assert model.item_emb.weight.grad is not None
    p = model.eval().predict_propensity(batch)
    assert p.shape == (1,) and 0 < float(p) < 1


def test_the_loss_falls_on_a_learnable_sequence():
    # the cycle 1 -> 2 -> ... -> 9 -> 1: each next item is determined by the current one
    torch.manual_seed(0)
    model = SeqRec(
        SeqConfig(n_items=9, max_len=6, d_model=16, n_heads=2, n_layers=1, dropout=0.0)
    ).train()
    starts = torch.arange(9)
    seq = (starts[:, None] + torch.arange(7)[None, :]) % 9 + 1  # (9, 7) items 1..9
    batch, targets = SeqBatch(items=seq[:, :6]), seq[:, 1:]
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(60):
        loss = model.calculate_loss(batch, targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    # uniform guessing over 9 items costs ln 9 = 2.197; a learnt cycle costs almost nothing
    assert losses[0] > 0.8 * torch.log(torch.tensor(9.0)).item()
    assert losses[-1] < 0.1 * losses[0]
    pred = model.eval().full_sort_predict(SeqBatch(items=torch.tensor([[0, 0, 0, 0, 3, 4]])))
    assert int(pred.argmax()) + 1 == 5


def test_text_vectors_shape_is_checked():
    with pytest.raises(InvalidInputError, match="item_text: expected shape"):
        SeqRec(SeqConfig(n_items=3, text_dim=2), item_text=torch.zeros(3, 2))


def test_bad_inputs_raise_project_errors_naming_the_argument():
    with pytest.raises(InvalidInputError, match="d_model: expected a multiple of n_heads=3"):
        SeqRec(SeqConfig(n_items=3, d_model=8, n_heads=3))
    model = small()
    with pytest.raises(InvalidInputError, match=r"batch\.items: expected at most max_len=6"):
        model(SeqBatch(items=torch.ones(1, 7, dtype=torch.long)))
    with pytest.raises(ModelUnavailableError, match="propensity head: expected a model trained"):
        model.predict_propensity(SeqBatch(items=torch.ones(1, 3, dtype=torch.long)))


def test_items_with_the_same_text_and_no_training_score_alike():
    text = torch.zeros(10, 4)
    text[1:, :] = torch.randn(9, 4, generator=torch.Generator().manual_seed(1))
    text[9] = text[2]  # item 9 is a "cold" copy of item 2's text
    torch.manual_seed(0)
    model = SeqRec(
        SeqConfig(n_items=9, max_len=4, d_model=8, n_heads=1, n_layers=1, text_dim=4), text
    )
    with torch.no_grad():
        model.item_emb.weight.zero_()  # only the text part remains
    table = model.item_table()
    torch.testing.assert_close(table[9], table[2])


def test_gap_buckets_are_monotone_and_mark_unknown_gaps():
    b = gap_bucket(torch.tensor([float("nan"), 0.0, 1.0, 60.0, 3600.0, 1e12]))
    assert b[0] == 1 and b[1] == 2
    assert torch.all(b[1:].diff() >= 0)
    assert b.max() <= N_GAP_BUCKETS + 1


def test_config_round_trips_through_a_dict():
    config = SeqConfig(n_items=5, d_model=8, n_heads=2, text_dim=3)
    assert SeqConfig.from_dict(config.to_dict() | {"unknown": 1}) == config


def test_seen_score_is_added_to_exactly_the_items_in_the_window():
    with_bias = small(seen_bias=True)
    plain = small()
    with torch.no_grad():
        with_bias.seen_logit.fill_(-2.5)
    batch = SeqBatch(items=torch.tensor([[0, 0, 3, 5, 3, 7], [1, 2, 4, 6, 8, 9]]))
    diff = with_bias.full_sort_predict(batch) - plain.full_sort_predict(batch)
    expected = torch.zeros(2, 9)
    expected[0, [2, 4, 6]] = -2.5  # items 3, 5, 7 (column = item - 1); padding is no item
    expected[1, [0, 1, 3, 5, 7, 8]] = -2.5
    torch.testing.assert_close(diff, expected)
    cand = torch.tensor([[3, 4], [2, 3]])
    part = with_bias.predict(batch, cand)
    torch.testing.assert_close(part, with_bias.full_sort_predict(batch).gather(1, cand - 1))


def test_seen_score_in_training_counts_only_earlier_steps():
    model = small(seen_bias=True)
    with torch.no_grad():
        model.seen_logit.fill_(-3.0)
    items = torch.tensor([[0, 0, 2, 4, 2, 6]])
    targets = torch.tensor([[0, 0, 4, 2, 6, 1]])
    loss = model.calculate_loss(SeqBatch(items=items), targets)
    # by hand: at the step after item 2 only item 2 is seen; then 2 and 4; then 2 and 4; then 2, 4, 6
    seen = torch.zeros(4, 9)
    seen[0, [1]] = 1
    seen[1, [1, 3]] = 1
    seen[2, [1, 3]] = 1
    seen[3, [1, 3, 5]] = 1
    h = model(SeqBatch(items=items))[0, 2:]
    logits = h @ model.item_table()[1:].T - 3.0 * seen
    torch.testing.assert_close(
        loss, torch.nn.functional.cross_entropy(logits, torch.tensor([3, 1, 5, 0]))
    )


@pytest.mark.parametrize(("repeat", "sign"), [(False, -1.0), (True, 1.0)])
def test_seen_score_learns_whether_people_come_back(repeat, sign):
    torch.manual_seed(0)
    model = SeqRec(
        SeqConfig(n_items=12, max_len=6, d_model=16, n_heads=2, n_layers=1, seen_bias=True)
    )
    start = torch.randint(1, 13, (64, 1))
    if repeat:  # a, b, a, b, ...: the next item is always one already in the window
        items = torch.where(torch.arange(7) % 2 == 0, start, start % 12 + 1)
    else:  # a walk through the catalogue: the next item was never seen
        items = (start - 1 + torch.arange(7)) % 12 + 1
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(30):
        loss = model.calculate_loss(SeqBatch(items=items[:, :-1]), items[:, 1:])
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert sign * float(model.seen_logit.detach()) > 0.1


def test_id_dropped_items_are_their_text_part_alone_and_the_rest_unchanged():
    text = torch.cat(
        [torch.zeros(1, 4), torch.randn(9, 4, generator=torch.Generator().manual_seed(2))]
    )
    model = small(text_dim=4)
    model = SeqRec(model.config, text).eval()
    dropped = torch.zeros(10, dtype=torch.bool)
    dropped[[3, 7]] = True
    full, cut = model.item_table(), model.item_table(dropped)
    text_part = model.text_proj(model.item_text)
    torch.testing.assert_close(cut[[3, 7]], text_part[[3, 7]])
    keep = ~dropped
    torch.testing.assert_close(cut[keep], full[keep])


def test_id_dropout_adds_a_text_only_loss_that_never_trains_a_dropped_candidates_learned_part():
    # Item 8 is only ever a candidate here (never an input). The loss with item-ID dropout is the
    # plain loss plus ID_DROPOUT_WEIGHT times the loss over a table where 1 and 8 are text alone:
    # that extra term gives item 8's learned row no gradient, and item 9's (not dropped) some.
    text = torch.cat(
        [torch.zeros(1, 4), torch.randn(9, 4, generator=torch.Generator().manual_seed(3))]
    )
    batch = SeqBatch(items=torch.tensor([[0, 0, 1, 2, 3, 4]]))
    targets = torch.tensor([[0, 0, 2, 3, 4, 5]])
    dropped = torch.zeros(10, dtype=torch.bool)
    dropped[[1, 8]] = True
    losses, grads = [], []
    for ids in (None, dropped):
        model = SeqRec(small(text_dim=4).config, text).train()
        loss = model.calculate_loss(batch, targets, id_dropped=ids)
        loss.backward()
        losses.append(loss.detach())
        grads.append(model.item_emb.weight.grad)
    with torch.no_grad():
        h = model(batch)[targets > 0]
        logits = h @ model.item_table(dropped)[1:].T  # small(): no seen-item score
        extra = torch.nn.functional.cross_entropy(logits, targets[targets > 0] - 1)
    torch.testing.assert_close(losses[1], losses[0] + ID_DROPOUT_WEIGHT * extra)
    torch.testing.assert_close(grads[1][8], grads[0][8])
    assert not torch.allclose(grads[1][9], grads[0][9])
