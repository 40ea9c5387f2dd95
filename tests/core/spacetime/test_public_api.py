"""Each sub-package names its public API in __all__, and every name resolves to its module's object."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import core.render
import core.spacetime


def _owner(package, name: str) -> str:
    return next(m for m, names in package._EXPORTS.items() if name in names)


@pytest.mark.parametrize("package", [core.spacetime, core.render])
def test_every_public_name_resolves_and_none_shadows_a_module(package):
    modules = {m.name for m in pkgutil.iter_modules(package.__path__)}
    assert not set(package.__all__) & modules
    for name in package.__all__:
        owner = importlib.import_module(f"{package.__name__}.{_owner(package, name)}")
        assert getattr(package, name) is getattr(owner, name)
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        package.nope  # noqa: B018
