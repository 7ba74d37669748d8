"""The package's imports, read from the source (ast): no cycle, and every import in the pipeline's
direction.

Layers, lowest first::

    shared       qa.errors, qa.types, qa.text, qa.files, qa.progress (every stage may import them)
    ingest       qa.ingest.*      files -> Document -> Passage
    index        qa.index.*       passages -> a saved, searchable index
    answering    qa.answering.*   question -> hits -> cited answer
    serve        qa.serve.*       the API, the page's library, rendering
    evaluate     qa.evaluate.*    figures; may import every stage

A module may import its own layer and the layers below it. Nothing imports
``serve`` or ``evaluate`` but the command line (`qa.cli`, the entry point above
them all) and ``evaluate`` itself. The package's ``__init__`` (the public API)
and the old module paths kept as re-exports (``qa/reading.py`` ...) sit above
the stages and are imported by none of them. Imports inside functions count:
a cycle hidden in a function is still a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "qa"
SHARED = {"qa.errors", "qa.types", "qa.text", "qa.files", "qa.progress"}
STAGES = ["ingest", "index", "answering", "serve", "evaluate"]
ENTRY = {"qa.cli", "qa.__main__"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(name: str) -> set[str]:
    """The qa modules `name` imports, anywhere in its source (``if TYPE_CHECKING:`` blocks aside)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def resolve(target: str) -> str | None:
        while target and target not in MODULES:  # qa.index.store.load_index -> qa.index.store
            target = target.rpartition(".")[0]
        return target or None

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name == "qa" or alias.name.startswith("qa."):
                        found.add(resolve(alias.name))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - (child.level - 1)]
                    module = ".".join(base + ([child.module] if child.module else []))
                else:
                    module = child.module or ""
                if module != "qa" and not module.startswith("qa."):
                    continue
                for alias in child.names:  # `from . import questionset` names a module
                    target = resolve(f"{module}.{alias.name}")
                    found.add(target if target != module and f"{module}.{alias.name}" in MODULES else resolve(module))
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    found.discard(None)
    found.discard(name)
    return found


GRAPH = {name: imports_of(name) for name in MODULES}


def layer(name: str) -> str:
    """The layer of a module: shared, a stage, entry, or top (``qa/__init__`` and the old paths)."""
    if name in SHARED:
        return "shared"
    if name in ENTRY:
        return "entry"
    parts = name.split(".")
    if len(parts) >= 2 and parts[1] in STAGES:
        return parts[1]
    return "top"


def allowed(source: str, target: str) -> bool:
    src, dst = layer(source), layer(target)
    if src == "entry" or (src == "top" and source != "qa"):  # the command line; the old module paths
        return True
    if source == "qa":  # the public API: the pipeline's stages only
        return dst not in ("entry", "serve", "evaluate")
    if dst == "shared":
        return True
    if src == "shared":
        return False
    if dst in ("entry", "top"):
        return src == "evaluate" and target == "qa"  # the version number
    if src == "evaluate":
        return True
    return STAGES.index(dst) <= STAGES.index(src)


def test_every_module_is_read():
    assert {
        "qa",
        "qa.cli",
        "qa.ingest.reading",
        "qa.index.store",
        "qa.answering.search",
        "qa.serve.api",
        "qa.evaluate.runs",
        "qa.evaluate.peers",
    } <= set(GRAPH)
    assert "qa.index.versions" in GRAPH["qa.index.store"] and "qa.ingest.reading" in GRAPH["qa.ingest.chunking"]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_go_one_way(name):
    wrong = sorted(t for t in GRAPH[name] if not allowed(name, t))
    assert not wrong, (
        f"{name} ({layer(name)}) imports {wrong} against the direction ingest <- index <- answering <- serve"
    )


def test_no_stage_imports_the_old_module_paths():
    """``qa/reading.py`` and its like are for users' old imports; qa itself uses the stages."""
    old = {n for n in MODULES if layer(n) == "top" and n != "qa"}
    users = {n: sorted(GRAPH[n] & old) for n in MODULES if layer(n) not in ("top",) and GRAPH[n] & old}
    assert not users


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def connect(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return cycles


def test_no_import_cycle():
    cycles = find_cycles(GRAPH)
    assert not cycles, f"import cycles: {cycles}"


def test_a_cycle_and_a_wrong_way_import_are_caught():
    """The checks themselves: an index module importing serve is refused, and so is a cycle
    (build -> store -> shards -> build, as it was)."""
    assert find_cycles({"b": {"s"}, "s": {"h"}, "h": {"b", "x"}, "x": set()}) == [["b", "h", "s"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []
    assert not allowed("qa.index.store", "qa.serve.render")
    assert not allowed("qa.ingest.loader", "qa.index.index")
    assert not allowed("qa.answering.search", "qa.evaluate.metrics")
    assert allowed("qa.evaluate.report", "qa.serve.render") and allowed("qa.serve.api", "qa.index.build")
    assert not allowed("qa", "qa.serve.api") and allowed("qa.cli", "qa.evaluate")


def test_no_module_asks_which_kind_of_index_it_holds():
    """One kind of index to the rest of the code (`qa.index.protocol.SearchIndex`): only the folder
    module, which opens and saves either kind, tells a sharded index from a single one."""
    asking = []
    for name, path in MODULES.items():
        if name == "qa.index.folders":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("getattr", "hasattr")
            ):
                if any(isinstance(a, ast.Constant) and a.value == "shards" for a in node.args[1:2]):
                    asking.append(f"{name}:{node.lineno}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance":
                if "ShardedIndex" in ast.unparse(node) or "Index" == ast.unparse(node.args[1]).split(".")[-1]:
                    asking.append(f"{name}:{node.lineno}")
    assert not asking, f"modules asking which kind of index they hold: {asking}"


def test_no_module_imports_another_modules_private_names():
    """What a module shares is its public names (shards once imported search's `_top` and `_matched`,
    build's `_fingerprint_update`, the store's `_write_json`)."""
    private = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module != "__future__":
                private += [
                    f"{name}: {a.name}" for a in node.names if a.name.startswith("_") and a.name != "__version__"
                ]
    assert not private
