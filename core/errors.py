"""Project exceptions.

Each error subclasses both the project base and the matching builtin, as h3-py does, so callers can
catch either ``AtlasError`` or the familiar ``ValueError`` / ``RuntimeError``.
"""

from __future__ import annotations


class AtlasError(Exception):
    """Base class of every error Interest Atlas raises on purpose."""


class InvalidInputError(AtlasError, ValueError):
    """An argument or an uploaded file is not what the function expects."""


class MissingColumnsError(InvalidInputError):
    """Required fields could not be found among the columns of an upload."""


class ModelUnavailableError(AtlasError, RuntimeError):
    """A model (language model, sequence model) cannot be loaded or is not trained yet."""


class TooLittleDataError(AtlasError, ValueError):
    """The data is valid but too small for the requested computation (e.g. a forecast)."""


class BrowserUnavailableError(AtlasError, RuntimeError):
    """The environment lacks a tool a function needs (e.g. Chromium for static image export)."""
