"""docs/cli.md is generated from the commands; it must not go stale."""

from __future__ import annotations

import importlib.util

from tests.conftest import ROOT


def _gen_cli():
    spec = importlib.util.spec_from_file_location("gen_cli", ROOT / "docs" / "gen_cli.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_reference_is_up_to_date():
    gen = _gen_cli()
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == gen.render(), (
        "docs/cli.md is stale: run python docs/gen_cli.py"
    )


def test_cli_reference_covers_every_command_kind_and_format():
    from convgrade.exercises import kinds
    from convgrade.exercises.export import WRITERS

    from convgrade.cli.main import TARGETS

    text = _gen_cli().render()
    assert all(f"### `grade {name}`" in text for name in TARGETS)
    assert all(f"- `{kind}`: " in text for kind in kinds())
    assert all(f"- `{fmt}`: writes " in text for fmt in WRITERS)


def test_docs_links_resolve():
    import re

    for page in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        for target in re.findall(r"\]\(([^)#:]+\.md)\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).is_file(), f"{page.name} links to missing {target}"
