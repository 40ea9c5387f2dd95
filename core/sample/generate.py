"""A deterministic generator of a realistic behaviour log with known ground truth.

The bundled sample in ``assets/`` is made by this module (``python -m core sample --out assets``) and is
what the dashboard opens on. Because the generator plants its structure on purpose, later stages can
be checked against the truth it writes next to the log:

* ten interest topics of about 100 items each, with human-readable titles and a category;
* a funnel per item visit: view -> click -> cart -> purchase, each step rarer than the last;
* sessions follow daily and weekly rhythms in *local* time, in four real cities with hotspots;
* a set of users whose interest drifts from one topic to another at a known date;
* one topic (pickleball) that is almost absent until ``emerging_start`` and then grows;
* sequential habits: after item A a user often goes on to one particular item B.

Everything is vectorised with numpy: the only Python loop runs over the (at most eight) positions
inside a session.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import InvalidInputError
from core.sample.records import GroundTruth, SampleLog, SampleSpec
from core.sample.world import (
    _BUYER_MULT,
    _BUYER_SHARE,
    _CART_BOOST,
    _CITY_SHARE,
    _DOW_WEIGHTS,
    _FUNNEL,
    _HOUR_WEIGHTS,
    _INTENT_FUNNEL,
    _INTENT_RATE,
    _INTENT_SEED,
    _MODELS,
    CITIES,
    EMERGING_TOPIC,
    TOPICS,
)

__all__ = ["GroundTruth", "SampleLog", "SampleSpec", "generate"]


def _choice_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of ``probs`` (rows need not be normalised)."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs)) * cum[:, -1]
    return (cum < u[:, None]).sum(axis=1)


def _make_items(spec: SampleSpec, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    n_topics = len(TOPICS)
    item_topic = np.arange(spec.n_items) % n_topics
    rng.shuffle(item_topic)
    titles, categories = [], []
    seen: set[str] = set()
    names = list(TOPICS)
    nouns_pick = rng.integers(0, 1 << 30, size=(spec.n_items, 4))
    for i in range(spec.n_items):  # ~1,000 catalogue rows: string formatting, not event data
        category, nouns, adjectives = TOPICS[names[item_topic[i]]]
        a, b, c, d = nouns_pick[i]
        title = (
            f"{_MODELS[a % len(_MODELS)]} {adjectives[b % len(adjectives)]} {nouns[c % len(nouns)]}"
        )
        if title in seen:
            title = f"{title} {2 + d % 9}"
        while title in seen:
            title = f"{title}+"
        seen.add(title)
        titles.append(title)
        categories.append(category)
    items = pd.DataFrame(
        {
            "item_id": [f"i{i:04d}" for i in range(spec.n_items)],
            "title": titles,
            "category": categories,
            "price": np.round(rng.lognormal(3.0, 0.8, spec.n_items), 2),
        }
    )
    return items, item_topic


def generate(spec: SampleSpec = SampleSpec()) -> SampleLog:
    """Generate a behaviour log with planted structure.

    Parameters
    ----------
    spec
        Sizes, seed and planted effects.

    Returns
    -------
    SampleLog
        Raw events (as a CSV upload would carry them, without the dirty rows), the item catalogue and
        the ground truth.

    Raises
    ------
    InvalidInputError
        If the sizes cannot hold the planted structure.

    Examples
    --------
    >>> log = generate(SampleSpec(n_users=200, n_items=100, n_drifters=10))
    >>> sorted(log.events_raw["event"].unique())
    ['cart', 'click', 'purchase', 'view']
    """
    n_topics = len(TOPICS)
    if spec.n_items < 2 * n_topics:
        raise InvalidInputError(f"n_items must be at least {2 * n_topics}: got {spec.n_items}")
    if not 0 <= spec.n_drifters <= spec.n_users // 2:
        raise InvalidInputError(
            f"n_drifters must be between 0 and n_users/2 = {spec.n_users // 2}: got {spec.n_drifters}"
        )
    rng = np.random.default_rng(spec.seed)
    topic_names = list(TOPICS)
    emerging = topic_names.index(EMERGING_TOPIC)
    items, item_topic = _make_items(spec, rng)
    start = pd.Timestamp(spec.start, tz="UTC")
    n_days = spec.weeks * 7

    # Items of each topic, with Zipf-like popularity inside the topic.
    topic_items = [np.flatnonzero(item_topic == t) for t in range(n_topics)]
    topic_pop = [1.0 / np.arange(1, len(ix) + 1) ** 0.9 for ix in topic_items]
    topic_cum = [np.cumsum(p) / p.sum() for p in topic_pop]
    # Planted habit: after item A comes item B (same topic, a random cycle through the topic).
    seq_next = np.empty(spec.n_items, dtype=np.int64)
    for ix in topic_items:  # ten topics
        order = rng.permutation(ix)
        seq_next[order] = np.roll(order, -1)

    # Users: a preference over the nine stable topics, concentrated on one to three of them.
    stable = np.array([t for t in range(n_topics) if t != emerging])
    pref = np.zeros((spec.n_users, n_topics))
    pref[:, stable] = rng.dirichlet(np.full(len(stable), 0.25), size=spec.n_users)
    primary = stable[pref[:, stable].argmax(axis=1)]
    city = rng.choice(len(CITIES), size=spec.n_users, p=_CITY_SHARE)
    activity = rng.gamma(2.0, spec.sessions_per_user / 2.0, size=spec.n_users)

    # Drifters: from their primary topic to another stable topic at a known date.
    drifters = rng.choice(spec.n_users, size=spec.n_drifters, replace=False)
    to_topic = stable[
        (np.searchsorted(stable, primary[drifters]) + rng.integers(1, len(stable), spec.n_drifters))
        % len(stable)
    ]
    change_day = rng.integers(7 * 8, 7 * 18, size=spec.n_drifters)
    activity[drifters] = np.maximum(activity[drifters], spec.sessions_per_user) * 3.0
    pref_after = pref.copy()
    pref[drifters] = 0.0
    pref[drifters, primary[drifters]] = 1.0
    pref_after[drifters] = 0.0
    pref_after[drifters, to_topic] = 1.0
    user_change_day = np.full(spec.n_users, n_days + 1)
    user_change_day[drifters] = change_day

    # Sessions: count per user, start in local time with daily and weekly rhythms.
    n_sessions = np.maximum(rng.poisson(activity), 1)
    s_user = np.repeat(np.arange(spec.n_users), n_sessions)
    n_s = len(s_user)
    day = rng.integers(0, n_days, n_s)
    dow = (start.dayofweek + day) % 7
    keep = rng.random(n_s) < _DOW_WEIGHTS[dow] / _DOW_WEIGHTS.max()
    day = np.where(
        keep, day, rng.integers(0, n_days, n_s)
    )  # thin weekdays once: a gentle weekly rhythm
    hour = rng.choice(24, size=n_s, p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum())
    local_sec = day * 86400 + hour * 3600 + rng.integers(0, 3600, n_s)

    # Time zones, with each city's spring DST change.
    city_names = list(CITIES)
    s_city = city[s_user]
    off_before = np.array([CITIES[c][2] for c in city_names])[s_city]
    off_after = np.array([CITIES[c][3] for c in city_names])[s_city]
    dst_at = np.array([(pd.Timestamp(CITIES[c][4]) - start).total_seconds() for c in city_names])[
        s_city
    ]
    offset = np.where(local_sec - off_before * 60 >= dst_at, off_after, off_before)
    utc_sec = local_sec - offset * 60

    # Topic of each session: the user's preference (before or after their drift), plus the
    # emerging topic whose share ramps up from emerging_start to the end of the period.
    after = day >= user_change_day[s_user]
    probs = np.where(after[:, None], pref_after[s_user], pref[s_user])
    e_start = spec.emerging_start_week * 7
    ramp = np.clip((day - e_start) / max(n_days - e_start, 1), 0, 1) * 0.3
    ramp = np.where(day >= e_start, 0.03 + ramp, 0.002)
    probs = probs * (1 - ramp)[:, None]
    probs[:, emerging] = ramp
    s_topic = _choice_rows(rng, probs)

    # Items inside a session: first by popularity in the topic, then the planted habit or another.
    length = np.minimum(1 + rng.poisson(1.3, n_s), 8)
    visits = np.full((n_s, 8), -1, dtype=np.int64)

    def draw_in_topic(topics: np.ndarray) -> np.ndarray:
        out = np.empty(len(topics), dtype=np.int64)
        u = rng.random(len(topics))
        for t in range(n_topics):  # ten topics, vectorised inside each
            m = topics == t
            out[m] = topic_items[t][np.searchsorted(topic_cum[t], u[m])]
        return out

    visits[:, 0] = draw_in_topic(s_topic)
    for pos in range(1, 8):  # positions inside a session, not rows
        alive = length > pos
        follow = rng.random(n_s) < spec.p_sequential
        nxt = np.where(follow, seq_next[np.maximum(visits[:, pos - 1], 0)], draw_in_topic(s_topic))
        visits[:, pos] = np.where(alive, nxt, -1)

    v_sess, v_pos = np.nonzero(visits >= 0)
    v_item = visits[v_sess, v_pos]
    v_sec = utc_sec[v_sess] + v_pos * rng.integers(90, 400, len(v_sess))
    # Funnel per visit: view, then click / cart / purchase. The planted intent signal: a session
    # is a buying session with a probability that depends on its topic and on the user (some users
    # buy more); buying sessions click, cart and buy more, and a cart earlier in the session raises
    # the chance that the next cart ends in a purchase. Drawn from a stream of its own, so the
    # sessions, items and times above are the same as without the signal.
    u = rng.random((len(v_sess), 3))
    irng = np.random.default_rng(spec.seed + _INTENT_SEED)
    topic_rate = _INTENT_RATE[irng.permutation(n_topics)]
    user_mult = irng.choice(_BUYER_MULT, size=spec.n_users, p=_BUYER_SHARE)
    p_buying = np.clip(topic_rate[s_topic] * user_mult[s_user], 0.0, 0.9)
    buying = (irng.random(n_s) < p_buying)[v_sess]
    p_click = np.where(buying, _INTENT_FUNNEL[0][0], _INTENT_FUNNEL[1][0])
    p_cart = np.where(buying, _INTENT_FUNNEL[0][1], _INTENT_FUNNEL[1][1])
    clicked = u[:, 0] < p_click
    carted = clicked & (u[:, 1] < p_cart)
    # carts earlier in the same session (visits are in (session, position) order)
    cum = np.cumsum(carted)
    first = np.r_[True, v_sess[1:] != v_sess[:-1]]
    before = cum - carted - np.maximum.accumulate(np.where(first, cum - carted, 0))
    p_buy = np.where(buying, _INTENT_FUNNEL[0][2], _INTENT_FUNNEL[1][2]) + _CART_BOOST * (
        before > 0
    )
    bought = carted & (u[:, 2] < np.minimum(p_buy, 0.95))
    steps = 1 + clicked.astype(np.int64) + carted + bought
    e_visit = np.repeat(np.arange(len(v_sess)), steps)
    e_step = np.arange(len(e_visit)) - np.repeat(np.cumsum(steps) - steps, steps)
    e_sess = v_sess[e_visit]
    e_user = s_user[e_sess]
    e_sec = v_sec[e_visit] + e_step * 25 + rng.integers(0, 20, len(e_visit))

    # Place: near one of the home city's hotspots, or anywhere in town; some events unlocated (web).
    e_city = city[e_user]
    lat = np.empty(len(e_visit))
    lon = np.empty(len(e_visit))
    hot = rng.random(len(e_visit)) < 0.7
    for c, name in enumerate(city_names):  # four cities
        m = e_city == c
        base_lat, base_lon, *_rest, spots = CITIES[name]
        spots_arr = np.array(spots)
        pick = spots_arr[rng.integers(0, len(spots_arr), m.sum())]
        spread = np.where(hot[m], 0.012, 0.08)[:, None]
        centre = np.where(hot[m][:, None], pick, np.array([base_lat, base_lon]))
        pts = centre + rng.normal(size=(m.sum(), 2)) * spread
        lat[m], lon[m] = pts[:, 0], pts[:, 1]
    unlocated = rng.random(len(e_visit)) > spec.located_share
    lat[unlocated] = np.nan
    lon[unlocated] = np.nan

    ts = start + pd.to_timedelta(e_sec, unit="s")
    events = pd.DataFrame(
        {
            "user_id": np.char.add("u", np.char.zfill(e_user.astype(str), 5)),
            "item_id": items["item_id"].to_numpy()[v_item[e_visit]],
            "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "event": np.array(_FUNNEL)[e_step],
            "lat": np.round(lat, 5),
            "lon": np.round(lon, 5),
            "tz_offset_min": offset[e_sess],
            "city": np.array(city_names)[e_city],
        }
    )
    events = events.iloc[np.argsort(e_sec, kind="stable")].reset_index(drop=True)

    truth = GroundTruth(
        item_topic=dict(zip(items["item_id"], np.array(topic_names)[item_topic], strict=True)),
        topics=tuple(topic_names),
        drifters=pd.DataFrame(
            {
                "user_id": np.char.add("u", np.char.zfill(drifters.astype(str), 5)),
                "from_topic": np.array(topic_names)[primary[drifters]],
                "to_topic": np.array(topic_names)[to_topic],
                "change_ts": start + pd.to_timedelta(change_day, unit="D"),
            }
        ).sort_values("user_id", ignore_index=True),
        emerging_topic=EMERGING_TOPIC,
        emerging_start=start + pd.Timedelta(days=e_start),
        sequential_next=dict(
            zip(items["item_id"], items["item_id"].to_numpy()[seq_next], strict=True)
        ),
        seed=spec.seed,
        purchase_intent={
            "description": (
                "A session is a buying session with probability topic_rate[topic] * the user's "
                "multiplier (at most 0.9). Buying sessions click, cart and buy more "
                "(funnel_buying vs funnel_other: P(click | view), P(cart | click), "
                "P(purchase | cart)); a cart earlier in the same session adds cart_boost to "
                "P(purchase | cart). Repeated engagement and carts in a session therefore "
                "signal a coming purchase, more so in some topics."
            ),
            "topic_rate": dict(zip(topic_names, topic_rate.round(4).tolist(), strict=True)),
            "user_multipliers": dict(
                zip(("rare", "typical", "frequent"), _BUYER_MULT.tolist(), strict=True)
            ),
            "user_shares": _BUYER_SHARE.tolist(),
            "funnel_buying": list(_INTENT_FUNNEL[0]),
            "funnel_other": list(_INTENT_FUNNEL[1]),
            "cart_boost": _CART_BOOST,
        },
    )
    return SampleLog(events_raw=events, items_raw=items, truth=truth, spec=spec)
