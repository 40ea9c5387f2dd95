"""Lazy public names for a package's ``__init__`` (PEP 562): each name loads its module on first
use, so ``import core.spacetime`` does not pull in torch, sklearn and geopandas until needed."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, Sequence[str]], namespace: dict[str, Any]
) -> tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]:
    """``(__all__, __getattr__, __dir__)`` for ``package`` whose public names are
    ``{module: (name, ...)}``; a loaded name is cached in ``namespace`` (the package's globals).

    Parameters
    ----------
    package
        Dotted name of the package whose ``__init__`` calls this.
    exports
        Submodule name -> the public names it defines.
    namespace
        The package's ``globals()``.

    Returns
    -------
    tuple
        The sorted public names, a module ``__getattr__`` that imports a name's submodule on first
        use (AttributeError for unknown names) and a ``__dir__``.
    """
    owner = {name: module for module, names in exports.items() for name in names}

    def get(name: str) -> Any:
        module = owner.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def listing() -> list[str]:
        return sorted({*namespace, *owner})

    return sorted(owner), get, listing
