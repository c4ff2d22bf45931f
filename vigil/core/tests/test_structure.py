"""The conventions of docs/ARCHITECTURE.md, checked from the source (vigil/testing/guards.py).

Each guard runs on the real tree, and on a tiny fake tree in tmp_path that breaks it on
purpose, so a guard that silently stopped finding anything would fail here too."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from vigil.testing import guards

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def imports():
    return guards.read_imports(ROOT)


def _fmt(problems: list[str]) -> str:
    return "\n".join(problems)


def test_it_keeps_the_layers(imports):
    problems = guards.layer_violations(imports, guards.LAYERS)
    assert not problems, _fmt(problems)


def test_it_has_no_forbidden_import(imports):
    problems = guards.forbidden_imports(imports, guards.FORBIDDEN)
    assert not problems, _fmt(problems)


def test_it_has_no_import_cycle(imports):
    problems = guards.cycles(imports)
    assert not problems, _fmt(problems)


def test_every_function_level_import_says_why(imports):
    problems = guards.unexplained_function_imports(imports)
    assert not problems, _fmt(problems)


def test_it_writes_only_through_actions():
    bad, stale = guards.write_violations(guards.find_writes(ROOT), guards.WRITE_ALLOWED)
    assert not bad, _fmt(bad)
    assert not stale, _fmt(stale)


def test_no_module_is_over_600_lines():
    problems = guards.long_modules(ROOT)
    assert not problems, _fmt(problems)


def test_every_app_has_a_layer():
    apps = {p.name for p in (ROOT / "vigil").iterdir() if (p / "apps.py").exists()}
    placed = {name for layer in guards.LAYERS for name in layer}
    assert apps <= placed, f"apps with no place in guards.LAYERS: {sorted(apps - placed)}"


# --------------------------------------------------------------------------- broken examples


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in path.relative_to(tmp_path).parents:
            init = tmp_path / parent / "__init__.py"
            if parent != Path(".") and not init.exists():
                init.write_text("")
        path.write_text(textwrap.dedent(text))
    return tmp_path


LAYERS = [("tips",), ("audit",), ("core",), ("lib",)]


def test_the_layers_guard_fails_on_an_upward_import(tmp_path):
    root = _tree(
        tmp_path,
        {
            "vigil/tips/views.py": "from vigil.audit.log import record\n",
            "vigil/audit/log.py": "from vigil.core import request_context\n",
            "vigil/core/request_context.py": "",
            # The broken arrow: core (low) imports tips (high) at module level.
            "vigil/core/holds.py": "from vigil.tips import views\n",
            # At function level it is not part of the contract (it needs a reason instead).
            "vigil/core/dashboard.py": "def f():\n    # the registry\n    from vigil.tips import views\n",
        },
    )
    problems = guards.layer_violations(guards.read_imports(root), LAYERS)
    assert len(problems) == 1 and "vigil.core.holds imports vigil.tips.views" in problems[0]
    assert "tips is above core" in problems[0]


def test_the_layers_guard_fails_on_an_app_with_no_layer(tmp_path):
    root = _tree(tmp_path, {"vigil/newapp/views.py": "from vigil.core import x\n"})
    problems = guards.layer_violations(guards.read_imports(root), LAYERS)
    assert problems and "'newapp' has no place in the layers" in problems[0]


def test_the_layers_guard_fails_on_a_sideways_import(tmp_path):
    root = _tree(
        tmp_path,
        {
            "vigil/victimid/models.py": "from vigil.deconfliction import models\n",
            "vigil/deconfliction/models.py": "",
        },
    )
    layers = [("victimid", "deconfliction"), ("lib",)]
    problems = guards.layer_violations(guards.read_imports(root), layers)
    assert len(problems) == 1 and "deconfliction is beside victimid" in problems[0]


def test_the_forbidden_guard_fails_even_inside_a_function(tmp_path):
    root = _tree(
        tmp_path,
        {
            "vigil/tips/actions.py": "def f():\n    from vigil.deconfliction.models import Flag\n",
            "vigil/deconfliction/models.py": "",
            "vigil/lib/names.py": "import django.conf\nfrom vigil.tips import actions\n",
        },
    )
    problems = guards.forbidden_imports(guards.read_imports(root), guards.FORBIDDEN)
    assert len(problems) == 3, problems
    text = _fmt(problems)
    assert "vigil.tips.actions imports vigil.deconfliction.models" in text
    assert "vigil.lib.names imports django.conf" in text
    assert "vigil.lib.names imports vigil.tips.actions" in text


def test_the_cycle_guard_fails_on_a_cycle_inside_an_app(tmp_path):
    root = _tree(
        tmp_path,
        {
            "vigil/victimid/actions.py": "from vigil.victimid import tasks\n",
            "vigil/victimid/tasks.py": "from vigil.victimid.actions import do_it\n",
            # A function-level import back does not make a cycle at import time.
            "vigil/victimid/matching.py": "def f():\n    from vigil.victimid import actions\n",
            "vigil/victimid/views.py": "from vigil.victimid import matching\n",
        },
    )
    problems = guards.cycles(guards.read_imports(root))
    assert problems == ["import cycle: vigil.victimid.actions <-> vigil.victimid.tasks"]


def test_the_cycle_guard_fails_on_a_cycle_between_apps(tmp_path):
    root = _tree(
        tmp_path,
        {
            "vigil/core/context.py": "from vigil.accounts import access\n",
            "vigil/accounts/access.py": "from vigil.core import params\n",
            "vigil/core/params.py": "",
        },
    )
    problems = guards.cycles(guards.read_imports(root))
    assert problems == ["app import cycle: accounts <-> core"]


def test_the_cycle_guard_sees_a_package_that_re_exports_its_importer(tmp_path):
    """Importing tips.views.common runs tips/views/__init__.py, which imports tip_page, which
    imports api: a cycle although no module names the other directly."""
    root = _tree(
        tmp_path,
        {
            "vigil/tips/api.py": "from vigil.tips.views.common import get_tip\n",
            "vigil/tips/views/__init__.py": "from vigil.tips.views.tip_page import edit\n",
            "vigil/tips/views/common.py": "",
            "vigil/tips/views/tip_page.py": "from vigil.tips.api import Serializer\n"
            "from vigil.tips.views.common import get_tip\n",
        },
    )
    (problem,) = guards.cycles(guards.read_imports(root))
    assert problem == (
        "import cycle: vigil.tips.api <-> vigil.tips.views <-> vigil.tips.views.tip_page"
    )


def test_the_cycle_guard_ignores_type_checking_imports(tmp_path):
    root = _tree(
        tmp_path,
        {
            "vigil/tips/a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from vigil.tips import b\n",
            "vigil/tips/b.py": "from vigil.tips import a\n",
        },
    )
    assert guards.cycles(guards.read_imports(root)) == []


def test_the_function_import_guard_fails_on_an_import_with_no_reason(tmp_path):
    root = _tree(
        tmp_path,
        {
            "vigil/tips/views.py": """\
                def bare():
                    from vigil.tips import models

                def explained():
                    # Deferred: models imports this module back.
                    from vigil.tips import models
                    from vigil.tips import forms

                def trailing():
                    from vigil.tips import models  # deferred: a cycle with models

                def directive_only():
                    from vigil.tips import models  # noqa: F401

                def after_code():
                    x = 1  # a comment about x, not about the import
                    from vigil.tips import models

                def outside():
                    import json
                """,
            "vigil/tips/models.py": "",
            "vigil/tips/forms.py": "",
            "vigil/tips/apps.py": "class C:\n    def ready(self):\n        from vigil.tips import models\n",
        },
    )
    problems = guards.unexplained_function_imports(guards.read_imports(root))
    assert len(problems) == 3, problems
    assert [p.split(":")[1] for p in problems] == ["2", "13", "17"]


def test_the_write_guard_fails_on_writes_outside_actions(tmp_path):
    root = _tree(
        tmp_path,
        {
            "vigil/tips/views.py": """\
                from vigil.tips.models import Tip

                def edit(request, tip):
                    tip.narrative = "x"
                    tip.save()
                    Tip.objects.create(narrative="y")
                    Tip.objects.filter(pk=1).update(status="closed")
                    qs = Tip.objects.filter(pk=2)
                    qs.update(status="open")
                    tip.delete()
                    Tip.objects.bulk_create([])
                    Tip.objects.get_or_create(pk=3)
                    Tip.objects.update_or_create(pk=4)

                def not_writes(request, image, storage, fp):
                    ctx = {}
                    ctx.update(a=1)
                    ctx.update({"b": 2})
                    image.save(fp, format="PNG")
                    storage.delete("name")
                    return ctx
                """,
            "vigil/tips/actions.py": "def do_edit(tip):\n    tip.save()\n",
            "vigil/tips/actions/notes.py": "def do_note(n):\n    n.save()\n",
            "vigil/tips/migrations/0002_x.py": "def f(apps, s):\n    s.save()\n",
            "vigil/tips/tests/test_x.py": "def test_x(t):\n    t.save()\n",
            "vigil/tips/tasks.py": "def bump(job):\n    job.save()\n",
        },
    )
    writes = guards.find_writes(root)
    kinds = [w.kind for w in writes if w.path == "vigil/tips/views.py"]
    assert kinds == [
        "save",
        "create",
        "update",
        "update",
        "delete",
        "bulk_create",
        "get_or_create",
        "update_or_create",
    ]
    allowed = {
        ("vigil/tips/tasks.py", "bump"): "task bookkeeping",
        ("vigil/tips/gone.py", "*"): "an entry whose write moved",
    }
    bad, stale = guards.write_violations(writes, allowed)
    assert len(bad) == 8 and all("vigil/tips/views.py" in b and "in edit:" in b for b in bad)
    assert stale == ["vigil/tips/gone.py *: allow-list entry matches no write"]
    # With an entry without a reason the allow-list still fails.
    _, stale = guards.write_violations(writes, {("vigil/tips/tasks.py", "bump"): ""})
    assert stale == ["vigil/tips/tasks.py bump: allow-list entry gives no reason"]


def test_the_write_guard_covers_nested_functions_by_their_outer_entry(tmp_path):
    root = _tree(
        tmp_path,
        {"vigil/tips/tasks.py": "def run(job):\n    def progress():\n        job.save()\n"},
    )
    writes = guards.find_writes(root)
    assert [w.function for w in writes] == ["run.progress"]
    assert guards.write_violations(writes, {("vigil/tips/tasks.py", "run"): "why"}) == ([], [])


def test_the_length_guard_fails_on_a_long_module(tmp_path):
    long = "x = 1\n" * 601
    root = _tree(
        tmp_path,
        {
            "vigil/tips/views.py": long,
            "vigil/tips/models.py": "x = 1\n" * 600,  # at the limit: fine
            "vigil/tips/tests/test_long.py": long,
            "vigil/tips/migrations/0001_initial.py": long,
        },
    )
    assert guards.long_modules(root) == [
        "vigil/tips/views.py: 601 lines, over 600: split it along its seams"
    ]
    assert guards.MAX_MODULE_LINES == 600
