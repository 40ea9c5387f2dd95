"""The world the sample generator draws from: topics and their catalogue words, cities, daily and
weekly rhythms, the funnel and the purchase-intent signal. Constants only."""

from __future__ import annotations

import numpy as np

#: topic -> (category shown in the catalogue, title nouns, title adjectives)
TOPICS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "running": (
        "Sports > Running",
        (
            "running shoes",
            "trail running shoes",
            "marathon racing flats",
            "running socks",
            "running jacket",
            "GPS running watch",
            "hydration running vest",
        ),
        ("Lightweight", "Cushioned", "Carbon-plated", "Breathable", "All-terrain", "Reflective"),
    ),
    "sci-fi books": (
        "Books > Science Fiction",
        (
            "science fiction novel",
            "space opera paperback",
            "cyberpunk novel",
            "time-travel thriller",
            "alien first-contact novel",
            "dystopian sci-fi hardcover",
        ),
        ("Award-winning", "Classic", "Galactic", "Interstellar", "Bestselling", "Hard"),
    ),
    "coffee": (
        "Food > Coffee",
        (
            "single-origin coffee beans",
            "espresso roast",
            "pour-over coffee kit",
            "cold brew coffee",
            "burr coffee grinder",
            "moka pot",
        ),
        ("Ethiopian", "Colombian", "Dark", "Medium", "Fair-trade", "Small-batch"),
    ),
    "jazz": (
        "Music > Jazz",
        (
            "jazz vinyl record",
            "bebop jazz album",
            "jazz piano LP",
            "big band swing album",
            "jazz saxophone collection",
            "live jazz concert recording",
        ),
        ("Remastered", "Blue", "Late-night", "Modal", "Cool", "Legendary"),
    ),
    "gardening": (
        "Home > Garden",
        (
            "heirloom tomato seeds",
            "garden pruning shears",
            "raised garden bed",
            "organic compost",
            "watering can",
            "herb garden planter",
        ),
        ("Organic", "Stainless", "Cedar", "Heirloom", "Ergonomic", "Perennial"),
    ),
    "board games": (
        "Toys > Board Games",
        (
            "strategy board game",
            "cooperative board game",
            "deck-building card game",
            "tabletop dice set",
            "party board game",
            "miniatures wargame",
        ),
        ("Family", "Epic", "Two-player", "Award-winning", "Deluxe", "Quick"),
    ),
    "yoga": (
        "Sports > Yoga",
        (
            "yoga mat",
            "yoga blocks",
            "meditation cushion",
            "yoga strap",
            "yoga leggings",
            "yoga retreat class pass",
        ),
        ("Non-slip", "Eco", "Cork", "Extra-thick", "Travel", "Mindful"),
    ),
    "baking": (
        "Kitchen > Baking",
        (
            "sourdough starter kit",
            "bread baking pan",
            "stand mixer",
            "pastry flour",
            "proofing basket",
            "cake decorating set",
        ),
        ("Artisan", "Non-stick", "Professional", "Whole-grain", "Cast-iron", "French"),
    ),
    "photography": (
        "Electronics > Photography",
        (
            "mirrorless camera",
            "prime camera lens",
            "camera tripod",
            "photo editing preset pack",
            "camera bag",
            "film camera roll",
        ),
        ("Full-frame", "Compact", "Weather-sealed", "Vintage", "Wide-angle", "Pro"),
    ),
    "pickleball": (
        "Sports > Pickleball",
        (
            "pickleball paddle",
            "pickleball balls",
            "portable pickleball net",
            "pickleball court shoes",
            "pickleball starter set",
            "pickleball lessons pass",
        ),
        ("Graphite", "Tournament", "Outdoor", "Indoor", "Beginner", "Pro"),
    ),
}
EMERGING_TOPIC = "pickleball"
#: Brand-like model names: make titles look like a real catalogue without repeating exactly.
_MODELS = (
    "Aurora",
    "Nimbus",
    "Vega",
    "Atlas",
    "Orion",
    "Juniper",
    "Kestrel",
    "Solace",
    "Tempo",
    "Harbor",
    "Lumen",
    "Sierra",
    "Cobalt",
    "Maple",
    "Zephyr",
    "Quill",
)

#: city -> (lat, lon, tz offset in minutes before/after its 2026 spring DST change, DST date, hotspots)
CITIES: dict[str, tuple[float, float, int, int, str, tuple[tuple[float, float], ...]]] = {
    "New York": (
        40.7359,
        -73.9911,
        -300,
        -240,
        "2026-03-08T07:00:00Z",
        ((40.7580, -73.9855), (40.7128, -74.0060), (40.6782, -73.9442), (40.7831, -73.9712)),
    ),
    "London": (
        51.5072,
        -0.1276,
        0,
        60,
        "2026-03-29T01:00:00Z",
        ((51.5145, -0.0983), (51.5033, -0.1195), (51.5390, -0.1426)),
    ),
    "Tokyo": (
        35.6812,
        139.7671,
        540,
        540,
        "2026-03-01T00:00:00Z",
        ((35.6595, 139.7005), (35.6938, 139.7034), (35.7101, 139.8107)),
    ),
    "Beijing": (
        39.9042,
        116.4074,
        480,
        480,
        "2026-03-01T00:00:00Z",
        ((39.9087, 116.3975), (39.9834, 116.3229), (39.9208, 116.4433)),
    ),
}
_CITY_SHARE = np.array([0.4, 0.25, 0.2, 0.15])

# Local-time rhythm: hour-of-day and day-of-week (Mon..Sun) weights of a session's start.
_HOUR_WEIGHTS = np.array(
    [
        0.2,
        0.1,
        0.05,
        0.05,
        0.05,
        0.1,
        0.4,
        0.9,
        1.3,
        1.2,
        1.0,
        1.1,
        1.6,
        1.5,
        1.1,
        1.0,
        1.1,
        1.4,
        1.9,
        2.4,
        2.6,
        2.2,
        1.4,
        0.6,
    ]
)
_DOW_WEIGHTS = np.array([0.9, 0.9, 0.95, 1.0, 1.1, 1.35, 1.3])
_FUNNEL = ("view", "click", "cart", "purchase")
#: Purchase intent (see ``generate``): P(click | view), P(cart | click), P(purchase | cart) in a
#: buying session and in any other session; a cart earlier in the session adds ``_CART_BOOST`` to
#: P(purchase | cart).
_INTENT_FUNNEL = ((0.85, 0.75, 0.7), (0.25, 0.15, 0.05))
_CART_BOOST = 0.3
#: P(buying session) of each topic before the user's multiplier (assigned to topics by the seed).
_INTENT_RATE = np.array([0.05, 0.08, 0.1, 0.12, 0.15, 0.2, 0.25, 0.3, 0.35, 0.45])
#: Users buy at one of three levels: rarely, typically, often (multipliers of the topic rate).
_BUYER_MULT = np.array([0.2, 1.0, 3.0])
_BUYER_SHARE = np.array([0.3, 0.5, 0.2])
_INTENT_SEED = 1_000_003
