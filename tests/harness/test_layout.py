"""The shape of harness/: no import cycles, modules a reader can hold, one public namespace,
installed names that cannot collide with a user's packages, and ``--version``."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

import harness

ROOT = Path(harness.__file__).parent
REPO = ROOT.parent
MAX_LINES = 500


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Every harness module ``name`` imports, at the top or inside functions (not the
    annotations-only imports under ``if TYPE_CHECKING:``, which never run)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    edges: set[str] = set()
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            node.body = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[:len(package.split(".")) - node.level + 1], base])
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                       for alias in node.names]
        edges |= {t for t in targets if t in known and t != name}
    return edges


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_inside_harness_counting_imports_in_functions() -> None:
    known = _modules()
    # The package's own __init__ re-exports the public names; nothing inside may import it back.
    graph = {name: _imports(name, path, known) for name, path in known.items()}
    for name, edges in graph.items():
        if name != "harness":
            assert "harness" not in edges, f"{name} imports the public namespace; import the module instead"
    assert _cycle({n: e for n, e in graph.items() if n != "harness"}) is None


def test_no_module_is_over_the_line_budget() -> None:
    long = {str(p.relative_to(REPO)): n for p in ROOT.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_only_the_public_surface_has_no_underscore() -> None:
    public = sorted(p.relative_to(ROOT).as_posix() for p in ROOT.iterdir()
                    if not p.name.startswith("_") and p.name != "py.typed")
    assert public == ["hypothesis.py", "instrument.py", "strategies"]
    for name in harness.__all__:
        assert hasattr(harness, name), name


def test_the_install_claims_no_generic_top_level_name() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    packages = config["tool"]["setuptools"]["packages"]
    tops = {p.split(".")[0] for p in packages}
    assert tops == {"harness", "race_harness"}
    mapped = config["tool"]["setuptools"]["package-dir"]
    on_disk = set()
    for folder in ("harness", *mapped.values()):
        for init in (REPO / folder).rglob("__init__.py"):
            on_disk.add(init.parent.relative_to(REPO).as_posix())
    listed = set()
    for package in packages:
        head = next((k for k in mapped if package == k or package.startswith(k + ".")), None)
        tail = package[len(head):] if head is not None else package
        rel = (mapped[head] if head is not None else "") + tail.replace(".", "/")
        listed.add(rel)
    assert listed == on_disk  # every package of the tree is installed, under its mapped name



def test_a_users_own_scenarios_package_does_not_break_the_plugin(tmp_path: Path) -> None:
    """A project with its own ``scenarios`` (and ``fakes``) package: ``race-harness list``
    loads the bundled plug-in from ``race_harness.scenarios`` without a warning."""
    for name in ("scenarios", "fakes", "benchmarks", "examples"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("raise ImportError('the user package was imported')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "harness", "list"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "failed to load" not in result.stderr, result.stderr
    assert "session_overwrite:old" in result.stdout


def test_version_prints_the_installed_version() -> None:
    from importlib import metadata

    result = subprocess.run([sys.executable, "-m", "harness", "--version"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0
    assert result.stdout.strip() == f"race-harness {metadata.version('race-harness')}"


@pytest.mark.parametrize("name", ["RunRefused", "Footprint", "Model", "RunSpec", "Failure"])
def test_names_fakes_and_scenarios_need_are_public(name: str) -> None:
    assert name in harness.__all__
