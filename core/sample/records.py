"""What the sample generator is asked for and what it plants: :class:`SampleSpec`,
:class:`GroundTruth` (saved next to the log as JSON) and the generated :class:`SampleLog`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pandas as pd

from core.sample.world import CITIES

__all__ = ["GroundTruth", "SampleLog", "SampleSpec"]


@dataclass(frozen=True)
class SampleSpec:
    """What to generate. The defaults make the bundled sample."""

    seed: int = 7
    n_users: int = 3000
    n_items: int = 1000
    start: str = "2026-03-02"  # a Monday
    weeks: int = 26
    sessions_per_user: float = 12.0
    n_drifters: int = 150
    p_sequential: float = 0.6
    located_share: float = 0.85
    emerging_start_week: int = 13
    dirty: bool = True  # append duplicates, rows without ids and bad clocks when writing files


@dataclass(frozen=True)
class GroundTruth:
    """What the generator planted, for checking that analytics recover it."""

    item_topic: dict[str, str]
    topics: tuple[str, ...]
    drifters: pd.DataFrame  # user_id, from_topic, to_topic, change_ts
    emerging_topic: str
    emerging_start: pd.Timestamp
    sequential_next: dict[str, str]
    period: str = "W"
    cities: tuple[str, ...] = tuple(CITIES)
    seed: int = 7
    #: The planted purchase-intent signal: P(buying session) per topic, the user multipliers, the
    #: funnel in buying / other sessions and the boost of an earlier cart (see ``generate``).
    purchase_intent: dict = field(default_factory=dict)

    def to_json(self) -> str:
        drifters = self.drifters.assign(change_ts=self.drifters["change_ts"].map(_iso))
        return json.dumps(
            {
                "seed": self.seed,
                "period": self.period,
                "topics": list(self.topics),
                "cities": list(self.cities),
                "emerging_topic": self.emerging_topic,
                "emerging_start": _iso(self.emerging_start),
                "item_topic": self.item_topic,
                "sequential_next": self.sequential_next,
                "drifters": drifters.to_dict(orient="records"),
                "purchase_intent": self.purchase_intent,
            },
            indent=1,
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> GroundTruth:
        raw = json.loads(text)
        drifters = pd.DataFrame(
            raw["drifters"], columns=["user_id", "from_topic", "to_topic", "change_ts"]
        )
        drifters["change_ts"] = pd.to_datetime(drifters["change_ts"], utc=True)
        return cls(
            item_topic=dict(raw["item_topic"]),
            topics=tuple(raw["topics"]),
            drifters=drifters,
            emerging_topic=raw["emerging_topic"],
            emerging_start=pd.Timestamp(raw["emerging_start"]),
            sequential_next=dict(raw["sequential_next"]),
            period=raw["period"],
            cities=tuple(raw["cities"]),
            seed=int(raw["seed"]),
            purchase_intent=dict(raw.get("purchase_intent", {})),
        )


@dataclass(frozen=True)
class SampleLog:
    """A generated log as an upload would look (raw columns), its item catalogue and the truth."""

    events_raw: (
        pd.DataFrame
    )  # user_id, item_id, timestamp (ISO 8601 UTC), event, lat, lon, tz_offset_min, city
    items_raw: pd.DataFrame  # item_id, title, category, price
    truth: GroundTruth
    spec: SampleSpec = field(default_factory=SampleSpec)


def _iso(ts: pd.Timestamp) -> str:
    return pd.Timestamp(ts).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
