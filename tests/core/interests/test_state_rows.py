"""Interest states folded forward share the untouched users' rows: long lineages (past the
compaction of the segments), sibling updates from one state, and reading a few users only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from core.errors import InvalidInputError
from core.interests import _rows
from core.interests.state import InterestSpec, update, user_interests
from tests.core.interests.test_interests import log, tiny_world

SPEC = InterestSpec(device="cpu")


def _day(day: int, users: list[str]) -> pd.DataFrame:
    return log(
        [(u, f"i{(day + j) % 3}", float(day) + 0.1 * j, 1.0 + j) for j, u in enumerate(users)]
    )


def _assert_same(a, b) -> None:
    assert a.user_ids == b.user_ids and a.ref_time == b.ref_time
    torch.testing.assert_close(a.mean, b.mean, atol=1e-5, rtol=0)
    torch.testing.assert_close(a.topic_share, b.topic_share, atol=1e-9, rtol=0)
    torch.testing.assert_close(a.total, b.total, atol=1e-9, rtol=1e-9)
    assert a.n_events.tolist() == b.n_events.tolist()


def test_a_long_lineage_with_new_users_equals_the_full_recompute() -> None:
    iv, topics = tiny_world()
    days = [_day(0, ["a", "b", "c"])]
    # every day one old user and one new user; more days than MAX_SEGMENTS, so the rows compact
    days += [
        _day(d, ["a" if d % 2 else "b", f"n{d:02d}"]) for d in range(1, _rows.MAX_SEGMENTS + 6)
    ]
    state = user_interests(days[0], iv, topics, SPEC)
    segments = []
    for batch in days[1:]:
        state = update(state, batch, iv, topics, SPEC)
        segments.append(len(state.rows.means))
    _assert_same(state, user_interests(pd.concat(days, ignore_index=True), iv, topics, SPEC))
    assert max(segments) > 2 and min(segments[3:]) == 1  # segments piled up, then compacted


def test_only_the_batch_users_get_new_rows() -> None:
    iv, topics = tiny_world()
    base = user_interests(_day(0, ["a", "b", "c", "d"]), iv, topics, SPEC)
    nxt = update(base, _day(3, ["b", "e"]), iv, topics, SPEC)
    # one segment for the batch: users b and e (2 rows), the others read the base rows
    assert [m.shape[0] for m in nxt.rows.means] == [4, 2]
    assert nxt.user_ids == ("a", "b", "c", "d", "e")
    assert nxt.rows.index.tolist() == [0, 4, 2, 3, 5]
    assert nxt.rows.means[0] is base.rows.means[0]  # not copied


def test_sibling_updates_from_one_state_do_not_disturb_each_other() -> None:
    iv, topics = tiny_world()
    first = _day(0, ["a", "b", "c"])
    base = user_interests(first, iv, topics, SPEC)
    before = base.mean.clone()
    left_batch, right_batch = _day(2, ["a", "x"]), _day(4, ["b", "c"])
    left = update(base, left_batch, iv, topics, SPEC)
    right = update(base, right_batch, iv, topics, SPEC)
    torch.testing.assert_close(base.mean, before, atol=0, rtol=0)
    _assert_same(left, user_interests(pd.concat([first, left_batch]), iv, topics, SPEC))
    _assert_same(right, user_interests(pd.concat([first, right_batch]), iv, topics, SPEC))


def test_rows_of_reads_a_few_users() -> None:
    iv, topics = tiny_world()
    base = user_interests(_day(0, ["a", "b", "c"]), iv, topics, SPEC)
    nxt = update(base, _day(1, ["c", "z"]), iv, topics, SPEC)
    mean, share = nxt.rows_of(["z", "a"])
    pos = [nxt.user_ids.index("z"), nxt.user_ids.index("a")]
    torch.testing.assert_close(mean, nxt.mean[pos], atol=0, rtol=0)
    np.testing.assert_allclose(share.numpy(), nxt.topic_share[pos].numpy())
    with pytest.raises(
        InvalidInputError, match="users: expected ids of this state, found 1 unknown"
    ):
        nxt.rows_of(["nobody"])
