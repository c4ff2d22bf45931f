"""The app's layering: the read side never imports the write side; no module too long."""

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def test_it_keeps_the_read_side_free_of_the_write_side():
    for name in ("queries.py", "models.py"):
        bad = {m for m in _imports(APP / name) if m.startswith("vigil.deconfliction.actions")}
        assert not bad, f"{name} imports the write side: {sorted(bad)}"


def test_it_keeps_every_module_under_600_lines():
    long = {
        str(p.relative_to(APP)): n
        for p in APP.rglob("*.py")
        if "migrations" not in p.parts and (n := len(p.read_text().splitlines())) > 600
    }
    assert not long, long
