"""The dependency direction: digests <- bot <- adapters, and the core never imports a platform."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import bot
import digests

FORBIDDEN = {
    "digests": {"bot", "adapters", "telegram", "discord", "asyncio", "sqlalchemy", "httpx"},
    "bot": {"adapters", "telegram", "discord"},
}


def _modules(package: object) -> list[str]:
    name = package.__name__  # type: ignore[attr-defined]
    paths = package.__path__  # type: ignore[attr-defined]
    found = [name] + [f"{name}.{m.name}" for m in pkgutil.walk_packages(paths)]
    return [m for m in found if m != "bot.__main__"]


@pytest.mark.parametrize("module", _modules(digests) + _modules(bot))
def test_module_imports_nothing_above_its_layer(module: str) -> None:
    forbidden = FORBIDDEN[module.split(".")[0]]
    code = f"import sys, {module}; print(' '.join(sorted(sys.modules)))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert sorted({m.split(".")[0] for m in loaded} & forbidden) == []
