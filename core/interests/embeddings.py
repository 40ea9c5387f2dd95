"""One vector per item: from its text (language model), its behaviour (co-occurrence), or both.

``source="auto"`` reads the text with the language model when items have text and the model loads,
blends in behaviour vectors for items without text, and falls back to behaviour vectors alone when no
model can be loaded -- saying so in ``ItemVectors.message``: the product never pretends.

The encoder follows the text: with the default (English) model and ``auto_language``, a catalogue
whose text is not mostly English (``core.interests.language.detect_script``) is read with the
multilingual model instead; ``ItemVectors.encoder_choice`` says which and why.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd
import torch

from core.errors import InvalidInputError, ModelUnavailableError
from core.interests.cooccurrence import Pairs, behaviour_vectors
from core.interests.embedding_types import SOURCES, EmbeddingSpec, ItemVectors
from core.interests.finetune import Adaptation, FinetuneProgress, FinetuneSpec, adapt
from core.interests.labels import generic_words
from core.interests.language import detect_script
from core.interests.text_encoder import (
    DEFAULT_MODEL,
    MULTILINGUAL_MODEL,
    EncoderSpec,
    TextEncoder,
    load_encoder,
)
from core.schema import ITEM, ITEM_TEXT, codes, item_table


def _validate(events: pd.DataFrame, spec: EmbeddingSpec) -> None:
    if spec.source not in SOURCES:
        raise InvalidInputError(f"source must be one of {SOURCES}: got {spec.source!r}")
    if not 0.0 <= spec.blend_alpha <= 1.0:
        raise InvalidInputError(f"blend_alpha must be within [0, 1]: got {spec.blend_alpha}")
    missing = [c for c in (ITEM, ITEM_TEXT) if c not in events.columns]
    if missing:
        raise InvalidInputError(
            f"events lacks columns {missing}: expected a canonical EventLog, found {list(events.columns)}"
        )


def _texts(events: pd.DataFrame) -> tuple[tuple[str, ...], np.ndarray]:
    """Item ids in codes order and each item's text ("" when it has none)."""
    _, items = codes(events[ITEM])
    table = item_table(events).set_index(ITEM).reindex(items.astype(str))
    text = table[ITEM_TEXT].astype("object")
    text = text.where(text.notna(), "").astype(str).str.strip()
    return tuple(items.astype(str)), text.to_numpy(dtype=object)


def choose_encoder(events: pd.DataFrame, spec: EmbeddingSpec) -> tuple[EncoderSpec, str]:
    """The encoder the item text calls for, and why.

    Parameters
    ----------
    events
        A canonical EventLog.
    spec
        With ``auto_language`` and the default English model, text that is not mostly English
        switches to the multilingual model; any other model is kept as configured.

    Returns
    -------
    tuple of (EncoderSpec, str)
        The encoder spec to use and the reason in words.

    Raises
    ------
    InvalidInputError
        If the spec is invalid or ``events`` lacks item columns.
    """
    _validate(events, spec)
    _, text = _texts(events)
    report = detect_script(pd.Series(text[text != ""], dtype="object"))
    model = spec.encoder.model
    if not spec.auto_language or model != DEFAULT_MODEL:
        return spec.encoder, f"{model} as configured ({report.reason})"
    if report.mostly_english:
        return spec.encoder, f"{model} (English): {report.reason}"
    multi = replace(spec.encoder, model=MULTILINGUAL_MODEL)
    return multi, f"{MULTILINGUAL_MODEL} (multilingual): {report.reason}"


def _encoder_for(chosen: EncoderSpec, encoder: TextEncoder | None) -> TextEncoder:
    """The given encoder when it runs the chosen model, else the chosen model loaded."""
    if encoder is not None and encoder.spec.model == chosen.model:
        return encoder
    return load_encoder(chosen)


def _centred(vectors: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.normalize(vectors - vectors.mean(0, keepdim=True), dim=1)


def _multilingual_vectors(
    enc: TextEncoder, text: np.ndarray, encoded: torch.Tensor
) -> tuple[torch.Tensor, list[str]]:
    """E5 vectors as the clusters should see them, and the generic words left out.

    E5's vectors share one large direction (unrelated texts sit at cosine ~0.8), so they are
    centred on the catalogue's mean. Words that scatter over unrelated items (shop filler such as
    正品, 包邮, "official") make unrelated products look alike; the texts are read a second time
    without them (``core.interests.labels.generic_words``).
    """
    first = _centred(encoded)
    dropped = generic_words(pd.Series(text, dtype="object"), first)
    if not dropped:
        return first, []
    pattern = "|".join(re.escape(w) for w in dropped)
    clean = pd.Series(text, dtype="object").str.replace(pattern, " ", regex=True, case=False)
    clean = clean.str.replace(r"\s+", " ", regex=True).str.strip()
    clean = clean.where(clean != "", pd.Series(text, dtype="object"))
    return _centred(enc.encode(list(clean))), dropped


def _concat_blend(text_vec: torch.Tensor, beh_vec: torch.Tensor, alpha: float) -> torch.Tensor:
    # sqrt weights on unit parts: the dot product of two blended rows is the alpha-mix of cosines.
    out = torch.cat([text_vec * alpha**0.5, beh_vec * (1.0 - alpha) ** 0.5], dim=1)
    return torch.nn.functional.normalize(out, dim=1)


def encode_item_texts(
    events: pd.DataFrame,
    spec: EmbeddingSpec = EmbeddingSpec(),
    encoder: TextEncoder | None = None,
    progress: Callable[[int, int], object] | None = None,
) -> int:
    """Encode the item texts :func:`build_item_vectors` will read, into the encoder's disk cache.

    Lets a caller show progress (and stop part way) for the one slow step before building the
    vectors, which then find every text cached.

    Parameters
    ----------
    events
        A canonical EventLog.
    spec
        Source and encoder settings (the encoder the text calls for is used: ``choose_encoder``).
    encoder
        An already loaded encoder, reused when it runs that model.
    progress
        ``progress(done, total)`` over the texts not cached yet.

    Returns
    -------
    int
        How many texts were new (0 for ``source="behaviour"`` or no text).

    Raises
    ------
    InvalidInputError
        If the spec is invalid.
    ModelUnavailableError
        If the chosen encoder cannot be loaded.
    """
    _validate(events, spec)
    if spec.source == "behaviour":
        return 0
    _, text = _texts(events)
    texts = list(text[text != ""])
    if not texts:
        return 0
    enc = _encoder_for(choose_encoder(events, spec)[0], encoder)
    before = enc.encoded
    enc.encode(texts, progress=progress)
    return enc.encoded - before


def text_vectors(
    events: pd.DataFrame, spec: EmbeddingSpec, encoder: TextEncoder | None = None
) -> torch.Tensor:
    """The frozen encoder's vectors of each item's text, ``(n_items, d)`` in codes order, zero rows
    for items without text (the encoder the text calls for: ``choose_encoder``).

    Parameters
    ----------
    events
        A canonical EventLog.
    spec
        Encoder settings.
    encoder
        An already loaded encoder, reused when it runs the chosen model.

    Returns
    -------
    torch.Tensor
        ``(n_items, d)`` float32, L2-normalised rows (zero rows for items without text).

    Raises
    ------
    ModelUnavailableError
        If the encoder cannot be loaded.
    """
    _validate(events, spec)
    _, text = _texts(events)
    chosen = choose_encoder(events, spec)[0]
    return _frozen_text(_encoder_for(chosen, encoder), chosen.model, text)[0]


def adapt_encoder(
    events: pd.DataFrame,
    spec: EmbeddingSpec,
    encoder: TextEncoder | None = None,
    progress: FinetuneProgress | None = None,
    text_vectors: torch.Tensor | None = None,
) -> Adaptation:
    """The adapter of the encoder the text calls for, trained on ``events`` (or read from cache).

    Parameters
    ----------
    events
        A canonical EventLog with item text.
    spec
        Encoder settings; ``spec.finetune`` (default ``FinetuneSpec()``) the adapter's.
    encoder
        An already loaded encoder, reused when it runs the chosen model.
    progress
        Called after every epoch with (epoch, loss, seconds left); False cancels the run and
        nothing is cached.
    text_vectors
        The frozen text vectors when the caller has them already.

    Returns
    -------
    Adaptation
        The trained adapter with its held-out report, as :func:`core.interests.finetune.adapt`.

    Raises
    ------
    InvalidInputError
        If no item has text or the log has no co-engaged pair.
    ModelUnavailableError
        If the encoder cannot be loaded.
    """
    _validate(events, spec)
    _, text = _texts(events)
    if not (text != "").any():
        raise InvalidInputError("events: expected item text to adapt the encoder on, found none")
    chosen = choose_encoder(events, spec)[0]
    enc = _encoder_for(chosen, encoder)
    if text_vectors is None:
        text_vectors = _frozen_text(enc, chosen.model, text)[0]
    fspec = spec.finetune or FinetuneSpec()
    texts = tuple(str(t) for t in text)
    return adapt(events, text_vectors, texts, enc.model_id, fspec, enc.root, progress)


def _frozen_text(
    enc: TextEncoder, model: str, text: np.ndarray, progress=None
) -> tuple[torch.Tensor, list[str]]:
    """(n_items, d) frozen text vectors (zero rows without text) and the generic words dropped."""
    has_text = text != ""
    text_vec = torch.zeros((len(text), enc.dim), dtype=torch.float32)
    encoded = enc.encode(list(text[has_text]), progress=progress)
    dropped: list[str] = []
    if model == MULTILINGUAL_MODEL and len(encoded) > 1:
        encoded, dropped = _multilingual_vectors(enc, text[has_text], encoded)
    text_vec[torch.from_numpy(has_text)] = encoded
    return text_vec, dropped


def build_item_vectors(
    events: pd.DataFrame,
    spec: EmbeddingSpec = EmbeddingSpec(),
    encoder: TextEncoder | None = None,
    progress: Callable[[int, int], object] | None = None,
    pairs: Callable[[], Pairs] | None = None,
) -> ItemVectors:
    """Item vectors of an EventLog, from text, behaviour or a blend.

    Parameters
    ----------
    events
        A canonical EventLog.
    spec
        Source, encoder and blend settings.
    encoder
        An already loaded encoder to reuse (e.g. the dashboard's shared one) when it runs the model
        the text calls for (``choose_encoder``); default: load that model.
    progress
        Passed to :meth:`TextEncoder.encode`: ``progress(done, total)`` over the texts not cached yet.
    pairs
        Called (at most once, only when behaviour vectors are needed) for the co-occurrence counts
        of ``events`` in the shape of ``cooccurrence_pairs``; lets an engine that holds the events
        elsewhere (Spark) pass a one-row-per-item ``events``. Default: counted from ``events``.

    Returns
    -------
    ItemVectors
        One row per item in ``events[ITEM].cat.categories`` order.

    Raises
    ------
    InvalidInputError
        If the spec is invalid.
    ModelUnavailableError
        Only when ``source="text"`` is asked for explicitly and no model loads (``"auto"`` and
        ``"blend"`` fall back to behaviour vectors and say so in ``message``).

    Examples
    --------
    >>> vecs = build_item_vectors(events, EmbeddingSpec(source="behaviour"))  # doctest: +SKIP
    >>> vecs.vectors.shape  # doctest: +SKIP
    torch.Size([1000, 64])
    """
    _validate(events, spec)
    item_ids, text = _texts(events)
    has_text = text != ""
    n_text = int(has_text.sum())
    n = len(item_ids)
    text_tuple = tuple(t if t else None for t in text)

    def beh_vectors():
        counted = None if pairs is None else pairs()
        return behaviour_vectors(events, spec.behaviour_dim, spec.window, spec.seed, counted)

    def behaviour(note: str) -> ItemVectors:
        beh = beh_vectors()
        extra = f"; {beh.no_signal} item(s) never co-occur with another" if beh.no_signal else ""
        return ItemVectors(item_ids, beh.vectors, "behaviour", None, note + extra, text_tuple)

    if spec.source == "behaviour":
        return behaviour(f"behaviour vectors (co-occurrence PPMI + SVD) for {n} items")
    if n_text == 0:
        if spec.source == "text":
            raise InvalidInputError("source='text' asks for item text: found no item_text at all")
        return behaviour(f"no item has text; behaviour vectors for {n} items")
    chosen, why = choose_encoder(events, spec)
    try:
        enc = _encoder_for(chosen, encoder)
    except ModelUnavailableError as exc:
        if spec.source == "text":
            raise
        return behaviour(f"language model unavailable: {exc}; using behaviour vectors")
    model = chosen.model
    text_vec, dropped = _frozen_text(enc, model, text, progress)
    if dropped:
        why += f"; {len(dropped)} generic word(s) left out of the text read, e.g. {dropped[:5]}"
    if spec.finetune is not None:
        adapter = adapt_encoder(events, spec, enc, text_vectors=text_vec)
        if adapter.stopped != "cancelled":
            text_vec = adapter.apply(text_vec)
            why += f"; {adapter.summary()}"
    if spec.source == "text" or (spec.source == "auto" and n_text == n):
        if n_text < n:  # explicit text: items without text keep a zero text part, then behaviour
            beh = beh_vectors().vectors
            vec = _concat_blend(text_vec, beh, 1.0 - 1e-6)
            msg = f"text vectors ({model}) for {n_text} of {n} items; the rest from behaviour"
            return ItemVectors(item_ids, vec, "text", model, f"{msg}; {why}", text_tuple, why)
        msg = f"text vectors from language model {model} for all {n} items"
        return ItemVectors(item_ids, text_vec, "text", model, f"{msg}; {why}", text_tuple, why)
    beh = beh_vectors().vectors
    alpha = spec.blend_alpha
    vec = _concat_blend(text_vec, beh, alpha)
    msg = (
        f"blend of text ({model}, weight {alpha:g}) and behaviour vectors; "
        f"{n_text} of {n} items have text; {why}"
    )
    return ItemVectors(item_ids, vec, "blend", model, msg, text_tuple, why)
