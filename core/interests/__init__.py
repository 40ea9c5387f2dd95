"""Interests: item vectors (language model or behaviour), topics, user interests and their drift.

Public API (import from the sub-modules or from here):

* ``text_encoder``: ``EncoderSpec``, ``TextEncoder``, ``load_encoder`` (English all-MiniLM-L6-v2,
  multilingual-e5-small, any local sentence-transformers model; vectors cached on disk).
* ``language``: ``detect_script``, ``ScriptReport`` (is the catalogue's text mostly English?).
* ``embeddings``: ``EmbeddingSpec``, ``ItemVectors`` (both defined in ``embedding_types``),
  ``build_item_vectors``, ``encode_item_texts``, ``choose_encoder``.
* ``cooccurrence``: ``behaviour_vectors``.
* ``finetune``: ``FinetuneSpec``, ``Adaptation``, ``adapt`` (the encoder adapted to the log's
  co-engagement); ``embeddings.adapt_encoder`` / ``text_vectors`` run it on an EventLog.
* ``topics``: ``TopicSpec``, ``Topics`` (``Topics.item_labels()``: item_id -> label),
  ``find_topics``, ``kmeans``, ``silhouette``; ``labels``: ``topic_labels``,
  ``tokenise``.
* ``state``: ``InterestSpec``, ``InterestState``, ``user_interests``, ``update``,
  ``user_vectors``, ``topic_shares`` (the last two defined in ``readout``).
* ``timeline``: ``timeline`` (share columns are ``share:<label>``); ``changes``:
  ``drift_ranking`` (of a timeline), ``change_ranking`` (the same ranking from the events).
* ``profile``: ``interest_profiles`` (one line of words per user).
"""

from core.interests.changes import change_ranking, drift_ranking
from core.interests.cooccurrence import behaviour_vectors
from core.interests.embeddings import (
    EmbeddingSpec,
    ItemVectors,
    adapt_encoder,
    build_item_vectors,
    choose_encoder,
    encode_item_texts,
    text_vectors,
)
from core.interests.finetune import Adaptation, FinetuneSpec, adapt
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
    "Adaptation",
    "EmbeddingSpec",
    "EncoderSpec",
    "FinetuneSpec",
    "InterestSpec",
    "InterestState",
    "ItemVectors",
    "ScriptReport",
    "TextEncoder",
    "TopicSpec",
    "Topics",
    "adapt",
    "adapt_encoder",
    "behaviour_vectors",
    "build_item_vectors",
    "change_ranking",
    "choose_encoder",
    "detect_script",
    "drift_ranking",
    "encode_item_texts",
    "find_topics",
    "interest_profiles",
    "kmeans",
    "load_encoder",
    "silhouette",
    "text_vectors",
    "timeline",
    "tokenise",
    "topic_labels",
    "topic_shares",
    "update",
    "user_interests",
    "user_vectors",
]
