"""dashboard/cached.py: every wrapper is typed (arguments and result) and nothing there imports
numpy (the module only caches facade calls)."""

from __future__ import annotations

import ast
from pathlib import Path

CACHED = Path(__file__).resolve().parents[2] / "dashboard" / "cached.py"


def untyped(source: str) -> list[str]:
    """``function`` / ``function(argument)`` for each missing annotation of a top-level function."""
    out = []
    for fn in ast.parse(source).body:
        if isinstance(fn, ast.FunctionDef):
            a = fn.args
            out += [f"{fn.name}({p.arg})" for p in (*a.args, *a.kwonlyargs) if p.annotation is None]
            out += [fn.name] if fn.returns is None else []
    return out


def test_the_check_sees_a_missing_hint() -> None:
    assert untyped("def f(a, b: int):\n    return b\n") == ["f(a)", "f"]


def test_every_cached_wrapper_is_typed() -> None:
    assert untyped(CACHED.read_text(encoding="utf-8")) == []


def test_cached_does_not_import_numpy() -> None:
    tree = ast.parse(CACHED.read_text(encoding="utf-8"))
    imported = [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (
            node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")]
        )
    ]
    assert not [m for m in imported if m.split(".")[0] == "numpy"]
