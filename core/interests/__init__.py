"""Interests: item vectors (language model or behaviour), topics, user interests and their drift.

Public API (import from the sub-modules or from here):

* ``text_encoder``: ``EncoderSpec``, ``TextEncoder``, ``load_encoder`` (English all-MiniLM-L6-v2,
  multilingual-e5-small, any local sentence-transformers model; vectors cached on disk).
* ``language``: ``detect_script``, ``ScriptReport`` (is the catalogue's text mostly English?).
* ``embeddings``: ``EmbeddingSpec``, ``ItemVectors``, ``build_item_vectors``,
  ``encode_item_texts``, ``choose_encoder``.
* ``cooccurrence``: ``behaviour_vectors``.
* ``topics``: ``TopicSpec``, ``Topics`` (``Topics.item_labels()``: item_id -> label),
  ``find_topics``, ``kmeans``, ``silhouette``; ``labels``: ``topic_labels``,
  ``tokenise``.
* ``state``: ``InterestSpec``, ``InterestState``, ``user_interests``, ``update``,
  ``user_vectors``, ``topic_shares``.
* ``timeline``: ``timeline`` (share columns are ``share:<label>``); ``drift``: ``drift_ranking``,
  ``change_points`` (also importable from ``timeline``).
* ``profile``: ``interest_profiles`` (one line of words per user).
"""

from core.interests.cooccurrence import behaviour_vectors
from core.interests.drift import drift_ranking
from core.interests.embeddings import (
    EmbeddingSpec,
    ItemVectors,
    build_item_vectors,
    choose_encoder,
    encode_item_texts,
)
from core.interests.labels import tokenise, topic_labels
from core.interests.language import ScriptReport, detect_script
from core.interests.profile import interest_profiles
from core.interests.state import (
    InterestSpec,
    InterestState,
    topic_shares,
    update,
    user_interests,
    user_vectors,
)
from core.interests.text_encoder import EncoderSpec, TextEncoder, load_encoder
from core.interests.timeline import timeline
from core.interests.topics import Topics, TopicSpec, find_topics, kmeans, silhouette

__all__ = [
    "EmbeddingSpec",
    "EncoderSpec",
    "InterestSpec",
    "InterestState",
    "ItemVectors",
    "ScriptReport",
    "TextEncoder",
    "TopicSpec",
    "Topics",
    "behaviour_vectors",
    "build_item_vectors",
    "choose_encoder",
    "detect_script",
    "drift_ranking",
    "encode_item_texts",
    "find_topics",
    "interest_profiles",
    "kmeans",
    "load_encoder",
    "silhouette",
    "timeline",
    "tokenise",
    "topic_labels",
    "topic_shares",
    "update",
    "user_interests",
    "user_vectors",
]
