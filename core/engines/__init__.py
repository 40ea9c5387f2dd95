"""Engines that build an atlas folder (manifest + Parquet tables): ``local`` and ``spark``."""

from core.engines.folder import (
    AtlasFolder,
    AtlasFolderError,
    AtlasManifest,
    AtlasSpec,
    open_atlas,
    write_atlas,
)

__all__ = [
    "AtlasFolder",
    "AtlasFolderError",
    "AtlasManifest",
    "AtlasSpec",
    "open_atlas",
    "write_atlas",
]
