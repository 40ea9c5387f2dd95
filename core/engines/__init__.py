"""Engines that build an atlas folder (manifest + Parquet tables): ``local`` and ``spark``."""

from core.engines.folder import (
    AtlasFolder,
    AtlasFolderError,
    AtlasManifest,
    AtlasSpec,
    open_atlas,
    write_atlas,
)
from core.engines.stored import NotInAtlasError, StoredAtlas

__all__ = [
    "AtlasFolder",
    "AtlasFolderError",
    "AtlasManifest",
    "AtlasSpec",
    "NotInAtlasError",
    "StoredAtlas",
    "open_atlas",
    "write_atlas",
]
