"""Every module imports in any order, and the library's imports form no cycle.

A circular import fails or succeeds depending on which module a program happens to
import first, so the first test imports each module first, and all of them in two
orders; the other two read the import statements themselves (``ast``), function
level included, so that they also see the cycles no import order has hit yet.
"""

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import sknml

PACKAGE = Path(sknml.__file__).parent

# Modules that may import the public API of the package: its applications.
APPLICATIONS = ("sknml.experiments", "sknml._cli")

# Run in a fresh interpreter: import each module named in argv with every sknml
# module forgotten beforehand (or, with --together, one after the other), and print
# the tracebacks of those that fail. Forgetting sknml's modules, and only them,
# makes every import the first one of sknml without paying for a new interpreter
# (and torch) per module.
_IMPORT_SCRIPT = """
import importlib
import sys
import traceback

together = sys.argv[1] == "--together"
failed = []
for name in sys.argv[2:]:
    if not together:
        for loaded in [m for m in sys.modules if m.split(".")[0] == "sknml"]:
            del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except BaseException:
        failed.append(f"{name} first:\\n{traceback.format_exc()}")
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def _module_names():
    """``sknml`` and every module below it."""
    found = pkgutil.walk_packages(sknml.__path__, prefix="sknml.")
    return ["sknml", *sorted(module.name for module in found)]


def _module_files():
    """``{module name: file}`` for every module of the package, read as files."""
    files = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        files[".".join(parts)] = path
    return files


def _imported_modules(name, path, modules):
    """The sknml modules that module ``name`` imports, anywhere in its code.

    ``import sknml.a.b`` and ``from sknml.a import b`` (``b`` a module) import
    ``sknml.a.b``; ``from sknml.a import f`` (``f`` a name) imports ``sknml.a``, the
    package ``__init__`` when ``sknml.a`` is a package. The parent packages that
    Python runs first are not counted: every module has them, and a package that
    imports its own modules is no cycle until one of them imports the package.
    """
    is_package = path.name == "__init__.py"
    imported = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                if not is_package:
                    anchor = anchor[:-1]
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                imported.add(submodule if submodule in modules else base)
    return {target for target in imported if target in modules and target != name}


def _import_graph():
    """``{module: set of sknml modules it imports}`` over every module file."""
    files = _module_files()
    return {name: _imported_modules(name, path, files) for name, path in files.items()}


def _cycles(graph):
    """The import cycles of ``graph``: one path per strongly connected component."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def visit(node):  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while node not in component:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_cycle_through(graph, component) for component in components]


def _cycle_through(graph, component):
    """A closed path ``a -> b -> ... -> a`` inside one strongly connected component."""
    start = min(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:  # breadth first: the shortest cycle back to the start
        node = frontier.pop(0)
        for target in sorted(graph[node] & component):
            if target == start:
                return paths[node] + [start]
            if target not in paths:
                paths[target] = paths[node] + [target]
                frontier.append(target)
    raise AssertionError(f"{sorted(component)} is not strongly connected")


def _run_imports(names, *, together):
    mode = "--together" if together else "--each"
    return subprocess.run(
        [sys.executable, "-c", _IMPORT_SCRIPT, mode, *names],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize(
    "order, together",
    [("each first", False), ("forward", True), ("reversed", True)],
)
def test_every_module_imports_in_any_order(order, together):
    names = _module_names()
    if order == "reversed":
        names = names[::-1]
    result = _run_imports(names, together=together)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_graph_reader_sees_every_kind_of_import(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    for module in ("__init__", "a", "b", "sub/__init__", "sub/c"):
        (package / f"{module}.py").touch()
    source = package / "a.py"
    source.write_text(
        "import pkg.b\n"
        "from pkg import sub\n"
        "def f():\n"
        "    from .sub.c import thing\n"
        "    from pkg.sub import name\n",
        encoding="utf-8",
    )
    modules = {"pkg", "pkg.a", "pkg.b", "pkg.sub", "pkg.sub.c"}
    assert _imported_modules("pkg.a", source, modules) == {
        "pkg.b",
        "pkg.sub",
        "pkg.sub.c",
    }


def test_the_cycle_finder_names_the_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(graph) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_library_imports_form_no_cycle():
    cycles = _cycles(_import_graph())
    assert not cycles, "import cycles:\n" + "\n".join(
        " -> ".join(cycle) for cycle in cycles
    )


def test_no_library_module_imports_the_package():
    graph = _import_graph()
    offenders = sorted(
        name
        for name, imported in graph.items()
        if "sknml" in imported
        and not any(name == app or name.startswith(f"{app}.") for app in APPLICATIONS)
    )
    assert not offenders, (
        f"{offenders} import the sknml package itself, whose __init__ imports "
        "nearly every module; import from the module that defines the name "
        "(sknml._version for __version__)"
    )
