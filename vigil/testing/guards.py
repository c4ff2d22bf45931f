"""Structural guards: the conventions of docs/ARCHITECTURE.md checked from the source.

Run by `vigil/core/tests/test_structure.py` (so `make test` fails when one is broken). Every
check reads files with `ast` only (no import, no Django), so it also runs on a tiny fake tree
the tests build in tmp_path to show each guard failing.

- `layer_violations` / `forbidden_imports`: the layers contract between apps.
- `cycles`: no import cycle between the modules of one app (module-level imports).
- `unexplained_function_imports`: an import inside a function needs a one-line reason.
- `write_violations`: ORM writes only in `<app>/actions.py` or `<app>/actions/`.
- `long_modules`: no module (tests and migrations aside) over MAX_MODULE_LINES lines.

What they check against (LAYERS, FORBIDDEN, WRITE_ALLOWED, MAX_MODULE_LINES) is the data in
`vigil/testing/contract.py`, re-exported here.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from vigil.testing.contract import (
    COMPONENTS,
    FORBIDDEN,
    LAYERS,
    MAX_MODULE_LINES,
    PROJECT,
    WRITE_ALLOWED,
)

__all__ = ["COMPONENTS", "FORBIDDEN", "LAYERS", "MAX_MODULE_LINES", "PROJECT", "WRITE_ALLOWED"]


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    path: Path
    target: str  # the imported module, dotted (for `from a import b`: a.b if a.b is a module)
    lineno: int
    function_level: bool  # inside a def (or class body nested in a def)
    type_checking: bool  # under `if TYPE_CHECKING:` (never executed)
    reason: str  # the comment on the import's line or the line above, if any
    function: str = ""  # the enclosing def's qualified name ("" at module level)


def iter_modules(root: Path, package: str = "vigil") -> Iterator[tuple[str, Path]]:
    """(dotted name, path) of every .py under root/package, migrations included."""
    base = root / package
    for path in sorted(base.rglob("*.py")):
        rel = path.relative_to(root).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


_NOT_A_REASON = re.compile(r"^(noqa|type:|pragma|fmt:|isort:)")


def _comments(source: str) -> dict[int, tuple[str, bool]]:
    """line -> (comment text, whether the comment is the whole line); tool directives such
    as `# noqa` are not reasons and are left out."""
    out: dict[int, tuple[str, bool]] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                text = tok.string.lstrip("#").strip()
                if text and not _NOT_A_REASON.match(text):
                    out[tok.start[0]] = (text, tok.line.lstrip().startswith("#"))
    except (tokenize.TokenError, IndentationError):
        pass
    return out


def _resolve(module: str, is_package: bool, level: int, name: str | None) -> str:
    if level == 0:
        return name or ""
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    return ".".join(parts + ([name] if name else []))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def read_imports(root: Path, package: str = "vigil") -> list[Import]:
    modules = dict(iter_modules(root, package))
    known = set(modules)
    out: list[Import] = []
    for module, path in modules.items():
        out += _module_imports(module, path, known)
    return out


def _module_imports(module: str, path: Path, known: set[str]) -> list[Import]:
    source = path.read_text(encoding="utf-8")
    comments = _comments(source)
    is_package = path.name == "__init__.py"
    out: list[Import] = []

    tree = ast.parse(source, filename=str(path))
    # Lines inside an import statement: a reason comment above a block of imports covers all.
    in_import = {
        n
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for n in range(node.lineno, (node.end_lineno or node.lineno) + 1)
    }

    def reason_for(node: ast.Import | ast.ImportFrom) -> str:
        end = node.end_lineno or node.lineno
        for line in range(node.lineno, end + 1):  # a trailing comment on the statement
            if line in comments:
                return comments[line][0]
        line = node.lineno - 1
        while line in in_import and line not in comments:
            line -= 1
        text, whole_line = comments.get(line, ("", False))
        return text if whole_line else ""

    def record(node: ast.Import | ast.ImportFrom, qual: str, in_tc: bool) -> None:
        reason = reason_for(node)
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = _resolve(module, is_package, node.level, node.module)
            targets = []
            for alias in node.names:
                sub = f"{base}.{alias.name}" if base else alias.name
                targets.append(sub if sub in known else base)
        for target in dict.fromkeys(targets):
            out.append(Import(module, path, target, node.lineno, bool(qual), in_tc, reason, qual))

    def visit(nodes: Iterable[ast.AST], qual: str, cls: str, in_tc: bool) -> None:
        for node in nodes:
            if isinstance(node, ast.Import | ast.ImportFrom):
                record(node, qual, in_tc)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                name = ".".join(p for p in (qual or cls, node.name) if p)
                visit(ast.iter_child_nodes(node), name, "", in_tc)
            elif isinstance(node, ast.Lambda):
                visit(ast.iter_child_nodes(node), qual or "<lambda>", "", in_tc)
            elif isinstance(node, ast.ClassDef):
                name = ".".join(p for p in (qual or cls, node.name) if p)
                visit(ast.iter_child_nodes(node), qual, name, in_tc)
            elif isinstance(node, ast.If) and _is_type_checking(node.test):
                visit(node.body, qual, cls, True)
                visit(node.orelse, qual, cls, in_tc)
            else:
                visit(ast.iter_child_nodes(node), qual, cls, in_tc)

    visit(tree.body, "", "", False)
    return out


# ---------------------------------------------------------------------------------------------
# Apps and layers
# ---------------------------------------------------------------------------------------------


def app_of(
    module: str, package: str = "vigil", components: dict[str, str] | None = None
) -> str | None:
    """'vigil.tips.views' -> 'tips'; top-level project modules (settings, urls, cli) -> None.

    A module listed in `components` (or inside a package listed there) maps to its entry."""
    components = COMPONENTS if components is None else components
    for prefix, name in components.items():
        if module == prefix or module.startswith(prefix + "."):
            return name
    parts = module.split(".")
    if parts[0] != package or len(parts) < 2 or (len(parts) == 2 and parts[1] in PROJECT):
        return None
    return parts[1]


def _layer_index(layers: list[tuple[str, ...]]) -> dict[str, int]:
    return {app: i for i, layer in enumerate(layers) for app in layer}


def _exempt(module: str) -> bool:
    """Tests, migrations and test helpers may reach across layers (they build whole stories)."""
    parts = module.split(".")
    return "tests" in parts or "migrations" in parts or (len(parts) > 1 and parts[1] == "testing")


def layer_violations(
    imports: Iterable[Import], layers: list[tuple[str, ...]], package: str = "vigil"
) -> list[str]:
    """Module-level imports from an app to an app not below it (layers[0] is the top)."""
    index = _layer_index(layers)
    out = []
    for imp in imports:
        if imp.function_level or imp.type_checking or _exempt(imp.module):
            continue
        src, dst = app_of(imp.module, package), app_of(imp.target, package)
        if src is None or dst is None or src == dst:
            continue
        if src not in index or dst not in index:
            where = src if src not in index else dst
            out.append(f"{imp.path}:{imp.lineno}: app {where!r} has no place in the layers")
            continue
        if index[dst] <= index[src]:
            how = "beside" if index[dst] == index[src] else "above"
            out.append(
                f"{imp.path}:{imp.lineno}: {imp.module} imports {imp.target} "
                f"({dst} is {how} {src} in the layers)"
            )
    return out


def forbidden_imports(
    imports: Iterable[Import], forbidden: Iterable[tuple[str, str, str]], package: str = "vigil"
) -> list[str]:
    """Arrows that may never exist, at any level (a function-level import included).

    A rule is (importer app, imported module prefix, why); the prefix is a dotted module
    (`vigil.deconfliction`, `django`) or `*apps*` for every Vigil app."""
    out = []
    for imp in imports:
        if _exempt(imp.module):
            continue
        src = app_of(imp.module, package)
        for importer, imported, why in forbidden:
            if src != importer:
                continue
            if imported == "*apps*":
                dst = app_of(imp.target, package)
                hit = imp.target.startswith(package + ".") and dst not in (None, importer)
            else:
                hit = imp.target == imported or imp.target.startswith(imported + ".")
            if hit:
                out.append(f"{imp.path}:{imp.lineno}: {imp.module} imports {imp.target} ({why})")
    return out


def module_graph(imports: Iterable[Import]) -> dict[str, set[str]]:
    """Module-level, executed imports between modules. Importing `a.b.c` runs the package
    `a.b`'s __init__ first: that counts as an edge too, unless the importer is inside `a.b`
    (then the package is being initialised already)."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if imp.function_level or imp.type_checking:
            continue
        edges = graph.setdefault(imp.module, set())
        edges.add(imp.target)
        parts = imp.target.split(".")
        for i in range(1, len(parts)):
            package = ".".join(parts[:i])
            if imp.module != package and not imp.module.startswith(package + "."):
                edges.add(package)
    return graph


def _sccs(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively (no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    nodes = set(graph) | {t for ts in graph.values() for t in ts}
    for start in sorted(nodes):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def cycles(imports: Iterable[Import], package: str = "vigil") -> list[str]:
    """Import cycles among modules of one app, and between apps (module level).

    A package importing its own submodules (`x/__init__.py` re-exporting `x/a.py`) is not a
    cycle when the submodule does not import the package back."""
    imports = list(imports)
    graph = module_graph(i for i in imports if not _exempt(i.module))
    out = []
    for comp in _sccs(graph):
        out.append("import cycle: " + " <-> ".join(comp))
    app_graph: dict[str, set[str]] = {}
    for src, targets in graph.items():
        a = app_of(src, package)
        for t in targets:
            b = app_of(t, package)
            if a and b and a != b:
                app_graph.setdefault(a, set()).add(b)
    for comp in _sccs(app_graph):
        out.append("app import cycle: " + " <-> ".join(comp))
    return out


def unexplained_function_imports(imports: Iterable[Import], package: str = "vigil") -> list[str]:
    """A function-level import of a Vigil module must say why, in a comment on its line or on
    the line above it (or above the block of imports it belongs to): deferred to break a
    cycle, to keep a heavy dependency out of start-up, … Imports in an `AppConfig.ready()`
    need none: that is where Django says an app wires itself to others."""
    out = []
    for imp in imports:
        if not imp.function_level or _exempt(imp.module):
            continue
        if imp.path.name == "apps.py" and imp.function.rsplit(".", 1)[-1] == "ready":
            continue
        if not imp.target.startswith(package + "."):
            continue
        if not imp.reason:
            out.append(
                f"{imp.path}:{imp.lineno}: {imp.module} imports {imp.target} inside a "
                "function with no reason comment"
            )
    return out


# ---------------------------------------------------------------------------------------------
# The write path
# ---------------------------------------------------------------------------------------------

# Method names that write whatever they are called on (Django's manager/queryset API).
ALWAYS_WRITES = {
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
    "create_user",
    "create_superuser",
}


def _call_name(call: ast.Call) -> str | None:
    return call.func.attr if isinstance(call.func, ast.Attribute) else None


def _chain_has(node: ast.expr, names: set[str]) -> bool:
    while True:
        if isinstance(node, ast.Attribute):
            if node.attr in names:
                return True
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Name):
            return node.id in names
        else:
            return False


QUERYSET_HINTS = {"objects", "filter", "exclude", "all", "select_for_update", "_base_manager"}


def write_kind(call: ast.Call, querysets: frozenset[str] = frozenset()) -> str | None:
    """The ORM write a call looks like, or None. Heuristic on the call's shape (no types):

    - `.save()` / `.save(update_fields=…)` with no positional argument (PIL's `image.save(fp)`
      and `storage.save(name, f)` pass one);
    - `.delete()` with no argument (`storage.delete(name)`, `cache.delete(key)` pass one);
    - `.update(k=v…)` on a chain through `.objects` or a queryset method, or on a name the
      function assigned from one (`querysets`): a dict's `.update(k=v)` is not a write;
    - `.create(…)` on a chain that goes through `.objects` or a queryset method;
    - the always-writing names above (`bulk_create`, `get_or_create`, …)."""
    name = _call_name(call)
    if name is None:
        return None
    assert isinstance(call.func, ast.Attribute)
    receiver = call.func.value
    if name in ALWAYS_WRITES:
        return name
    if name == "save" and not call.args:
        return "save"
    if name == "delete" and not call.args and not call.keywords:
        return "delete"
    if name == "update" and not call.args:
        if _chain_has(receiver, QUERYSET_HINTS | querysets):
            return "update"
        return None
    if name == "create" and _chain_has(receiver, QUERYSET_HINTS | {"using"}):
        return "create"
    return None


def _queryset_names(func: ast.AST) -> frozenset[str]:
    """Names a function assigns from a queryset chain (`qs = Tip.objects.filter(…)`)."""
    names = set()
    for node in ast.walk(func):
        if isinstance(node, ast.Assign) and _chain_has(node.value, QUERYSET_HINTS):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return frozenset(names)


def _is_write_path(rel: str) -> bool:
    parts = rel.split("/")
    stem = parts[-1]
    return (
        stem == "actions.py"
        or "actions" in parts[:-1]
        or "migrations" in parts
        or "tests" in parts
        or (len(parts) > 1 and parts[1] == "testing")
    )


@dataclass(frozen=True)
class Write:
    path: str  # relative to the root, with /
    function: str  # qualified name of the enclosing def ("<module>" at top level)
    kind: str
    lineno: int
    text: str


def find_writes(root: Path, package: str = "vigil") -> list[Write]:
    """Every ORM-looking write outside the write path (actions, migrations, tests)."""
    out: list[Write] = []
    for _module, path in iter_modules(root, package):
        rel = path.relative_to(root).as_posix()
        if _is_write_path(rel):
            continue
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source, filename=str(path))

        def walk(
            node: ast.AST, qual: list[str], qs: frozenset[str], rel=rel, source=source
        ) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    walk(child, [*qual, child.name], qs | _queryset_names(child))
                    continue
                if isinstance(child, ast.Call):
                    kind = write_kind(child, qs)
                    if kind:
                        text = ast.get_source_segment(source, child) or kind
                        text = re.sub(r"\s+", " ", text)[:80]
                        out.append(
                            Write(rel, ".".join(qual) or "<module>", kind, child.lineno, text)
                        )
                walk(child, qual, qs)

        walk(tree, [], frozenset())
    return out


def write_violations(
    writes: Iterable[Write], allowed: dict[tuple[str, str], str]
) -> tuple[list[str], list[str]]:
    """(writes not on the allow-list, allow-list entries that match no write).

    An allow-list key is (path, function qualname), or (path, "*") for a whole file; the value
    is the reason, which must not be empty."""
    writes = list(writes)
    used: set[tuple[str, str]] = set()
    bad = []
    for w in writes:
        keys = [(w.path, w.function), (w.path, "*")]
        # A nested def is covered by its outer function's entry.
        parts = w.function.split(".")
        keys += [(w.path, ".".join(parts[:i])) for i in range(1, len(parts))]
        hit = next((k for k in keys if k in allowed), None)
        if hit is None:
            bad.append(
                f"{w.path}:{w.lineno} in {w.function}: {w.text} — writes belong in an action "
                "(<app>/actions.py) that audits; or add an allow-list entry saying why"
            )
        else:
            used.add(hit)
    stale = [f"{k[0]} {k[1]}: allow-list entry matches no write" for k in allowed if k not in used]
    stale += [
        f"{k[0]} {k[1]}: allow-list entry gives no reason" for k, v in allowed.items() if not v
    ]
    return bad, stale


# ---------------------------------------------------------------------------------------------
# Module length
# ---------------------------------------------------------------------------------------------


def long_modules(root: Path, limit: int = MAX_MODULE_LINES, package: str = "vigil") -> list[str]:
    """Modules over `limit` lines, tests (a test file may tell a long story) and migrations
    (generated) aside. A longer module holds two contexts: split it along its seams
    into a package that re-exports its public names."""
    out = []
    for module, path in iter_modules(root, package):
        parts = module.split(".")
        if "tests" in parts or "migrations" in parts or path.name.startswith("test_"):
            continue
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > limit:
            rel = path.relative_to(root).as_posix()
            out.append(f"{rel}: {n} lines, over {limit}: split it along its seams")
    return out
