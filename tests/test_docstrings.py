"""Numpydoc sections on core's public functions (STYLE.md 10).

Every module-level function of a ``core`` module that is public (named in the module's ``__all__``,
or not underscore-prefixed) needs a docstring with a ``Parameters`` section when it takes
arguments, ``Returns`` (or ``Yields``) when it returns a value, and ``Raises`` when its own body
raises. The check reads the source (``ast``), so it sees exactly what a reader sees.

There is no allowance list: every public core function has its sections, and a new one must come
with them.
"""

from __future__ import annotations

import ast
import functools
import itertools
import re
import textwrap
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "core"


def _sections(doc: str | None) -> set[str]:
    """Section titles of a numpydoc docstring (a line underlined with dashes)."""
    lines = (doc or "").splitlines()
    return {
        a.strip()
        for a, b in itertools.pairwise(lines)
        if a.strip() and re.fullmatch(r"\s*-{3,}\s*", b)
    }


def _own_nodes(fn: ast.FunctionDef | ast.AsyncFunctionDef):
    """The nodes of ``fn``'s body, not those of functions, lambdas or classes nested in it."""
    stack: list[ast.AST] = list(fn.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def missing_sections(source: str) -> dict[str, tuple[str, ...]]:
    """Public function name -> the numpydoc sections its docstring lacks, for one module's source."""
    tree = ast.parse(source)
    exported: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            exported = {e.value for e in node.value.elts if isinstance(e, ast.Constant)}
    found: dict[str, tuple[str, ...]] = {}
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if fn.name.startswith("_") and fn.name not in exported:
            continue
        doc = ast.get_docstring(fn)
        have = _sections(doc)
        a = fn.args
        params = [p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg) if p]
        params = [p for p in params if p not in ("self", "cls")]
        nodes = list(_own_nodes(fn))
        yields = any(isinstance(n, ast.Yield | ast.YieldFrom) for n in nodes)
        returns = any(
            isinstance(n, ast.Return)
            and n.value is not None
            and not (isinstance(n.value, ast.Constant) and n.value.value is None)
            for n in nodes
        )
        raises = any(isinstance(n, ast.Raise) and n.exc is not None for n in nodes)
        lacks = [
            *(["docstring"] if doc is None else []),
            *(["Parameters"] if params and "Parameters" not in have else []),
            *(["Returns"] if returns and not yields and "Returns" not in have else []),
            *(["Yields"] if yields and "Yields" not in have else []),
            *(["Raises"] if raises and "Raises" not in have else []),
        ]
        if lacks:
            found[fn.name] = tuple(lacks)
    return found


@functools.cache
def core_findings() -> dict[str, tuple[str, ...]]:
    """``path:function`` -> lacking sections, over every module of ``core``."""
    out: dict[str, tuple[str, ...]] = {}
    for path in sorted(CORE.rglob("*.py")):
        rel = path.relative_to(CORE.parent).as_posix()
        for name, lacks in missing_sections(path.read_text(encoding="utf-8")).items():
            out[f"{rel}:{name}"] = lacks
    return out


def test_the_check_finds_a_function_without_its_sections() -> None:
    source = textwrap.dedent(
        '''
        __all__ = ["_exported"]

        def bare(x):
            return x

        def one_line(x: int) -> int:
            """Twice ``x``."""
            if x < 0:
                raise ValueError(x)
            return 2 * x

        def documented(x: int) -> int:
            """Twice ``x``.

            Parameters
            ----------
            x
                Any integer.

            Returns
            -------
            int
            """
            def inner():
                raise ValueError("inner raises, not documented()")
            return 2 * x

        def _private(x):
            return x

        def _exported(x):
            return x

        def walk(n: int):
            """Count.

            Parameters
            ----------
            n
                How far.
            """
            yield from range(n)

        def side_effect() -> None:
            """Print nothing."""
        '''
    )
    assert missing_sections(source) == {
        "bare": ("docstring", "Parameters", "Returns"),
        "one_line": ("Parameters", "Returns", "Raises"),
        "_exported": ("docstring", "Parameters", "Returns"),
        "walk": ("Yields",),
    }


def test_public_core_functions_have_their_numpydoc_sections() -> None:
    new = core_findings()
    assert not new, "public core functions without their numpydoc sections:\n" + "\n".join(
        f"  {k}: lacks {', '.join(v)}" for k, v in sorted(new.items())
    )
