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
a cycle hidden in a function is still a cycle, and so is one through
``if TYPE_CHECKING:`` imports.

Stages meet only through their interfaces: every getattr/hasattr is on an
allow-list with its reason (none probes another stage's objects), no later
stage writes an index's ``meta``, and no two modules define one public name.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "qa"
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


def imports_of(name: str, type_checking: bool = False) -> set[str]:
    """The qa modules `name` imports, anywhere in its source; ``if TYPE_CHECKING:`` blocks only
    with `type_checking` (they run for the type checker, not at import, but still tie the modules)."""
    path = MODULES[name]
    return imports_in(
        ast.parse(path.read_text(encoding="utf-8"), str(path)), name, path.name == "__init__.py", type_checking
    )


def imports_in(tree: ast.AST, name: str, is_package: bool = False, type_checking: bool = False) -> set[str]:
    """`imports_of` for the parsed source `tree` of module `name`."""
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()

    def resolve(target: str) -> str | None:
        while target and target not in MODULES:  # qa.index.store.load_single -> qa.index.store
            target = target.rpartition(".")[0]
        return target or None

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child) and not type_checking:
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

    visit(tree)
    found.discard(None)
    found.discard(name)
    return found


GRAPH = {name: imports_of(name) for name in MODULES}
TYPED_GRAPH = {name: imports_of(name, type_checking=True) for name in MODULES}  # with the type checker's imports
TREES = {name: ast.parse(path.read_text(encoding="utf-8"), str(path)) for name, path in MODULES.items()}


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


def test_no_import_cycle_through_type_hints_either():
    """An import under ``if TYPE_CHECKING:`` does not run, but the modules still depend on each
    other both ways (ranking's hints named `Index` while `Index` called into ranking)."""
    cycles = find_cycles(TYPED_GRAPH)
    assert not cycles, f"import cycles through TYPE_CHECKING imports: {cycles}"


def test_a_cycle_hidden_in_type_hints_is_caught():
    old_ranking = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .index import Index\n")
    assert imports_in(old_ranking, "qa.index.ranking") == set()
    assert imports_in(old_ranking, "qa.index.ranking", type_checking=True) == {"qa.index.index"}
    graph = {**TYPED_GRAPH, "qa.index.ranking": TYPED_GRAPH["qa.index.ranking"] | {"qa.index.index"}}
    assert find_cycles(graph) == [["qa.index.index", "qa.index.ranking", "qa.index.weighting"]]  # the circle


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


# -- stages meet through their interfaces -------------------------------------------------------------

# Every getattr/hasattr in qa, by (module, its object, the attribute), with why it is not a probe of
# another stage's object (an index, its passages, an answer): such a probe reads data an interface
# should offer (`qa.index.protocol.SearchIndex`), and breaks silently when the other stage changes.
GETATTR_ALLOWED = {
    ("qa.cli", "args", "'corpus'"): "the command line's own argparse namespace: only `qa ui` has --corpus",
    ("qa.index.index", "self", "k"): "IndexParams.to_dict reads its own dataclass fields",
    ("qa.index.passages", "self", "name"): "PassageTable reads its own columns by name",
    ("qa.index.sharded", "p", "name"): "a shard's PassageTable column, inside the index stage",
    ("qa.index.versions", "_held", "'paths'"): "a threading.local, empty in a new thread",
    ("qa.index.versions", "os", "'O_CLOEXEC'"): "a platform constant the os module may lack",
    ("qa.ingest.reading", "document", "'format'"): "ingest's own Document (qa.types); a stand-in reads as plain",
    ("qa.ingest.reading", "document", "'blocks'"): "ingest's own Document (qa.types), as above",
    ("qa.serve.access", "exc", "'strerror'"): "an OSError's optional field",
    ("qa.serve.feedback", "exc", "'sqlite_errorname'"): "sqlite3's error name, an optional field of its exceptions",
    ("qa.serve.page", "st", "kind"): "Streamlit's message functions (st.error, st.warning ...) by name",
    ("qa.text", "_local", "'stemmer'"): "a threading.local, empty in a new thread",
}
ATTRIBUTE_PROBES = ("getattr", "hasattr", "setattr", "delattr")


def attribute_probes(name: str, tree: ast.AST) -> list[tuple[str, str, str]]:
    """``(module, object, attribute)`` of every getattr/hasattr/setattr/delattr call in `tree`."""
    return [
        (name, ast.unparse(node.args[0]), ast.unparse(node.args[1]))
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ATTRIBUTE_PROBES
        and len(node.args) >= 2
    ]


def test_no_getattr_probes_of_another_stages_objects():
    """Every getattr/hasattr is on the allow-list, with its reason: none reads another stage's
    objects (suggest once read a sharded index's ``.parts`` and PassageTable columns so)."""
    found = {p for name, tree in TREES.items() for p in attribute_probes(name, tree)}
    unexpected = sorted(found - set(GETATTR_ALLOWED))
    assert not unexpected, (
        f"getattr/hasattr not on the allow-list: {unexpected}; ask the object's interface "
        "(a SearchIndex method, a typed field) instead, or add it to GETATTR_ALLOWED with why"
    )


def test_the_old_suggest_probe_is_caught():
    old = ast.parse(
        'tables = getattr(passages, "parts", None) or [passages]\nok = all(hasattr(t, "section") for t in tables)\n'
    )
    found = set(attribute_probes("qa.answering.suggest", old))
    assert found == {("qa.answering.suggest", "passages", "'parts'"), ("qa.answering.suggest", "t", "'section'")}
    assert not found & set(GETATTR_ALLOWED)


# -- no later stage writes an index's meta ------------------------------------------------------------

META_WRITES = ("update", "setdefault", "pop", "popitem", "clear", "__setitem__", "__delitem__")


def meta_writes(name: str, tree: ast.AST) -> list[str]:
    """Where `tree` changes an object's ``.meta`` (an index's corpus facts): ``x.with_meta(...)``,
    ``x.meta[k] = v``, ``x.meta = ...``, ``del x.meta[k]``, ``x.meta.update(...)`` and the like."""

    def is_meta(node) -> bool:
        return isinstance(node, ast.Attribute) and node.attr == "meta"

    def written(target) -> bool:
        return is_meta(target) or (isinstance(target, ast.Subscript) and is_meta(target.value))

    out = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif isinstance(node, ast.Delete):
            targets = node.targets
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "with_meta" or (node.func.attr in META_WRITES and is_meta(node.func.value)):
                out.append(f"{name}:{node.lineno}")
        out += [f"{name}:{node.lineno}" for t in targets if written(t)]
    return sorted(out, key=lambda w: int(w.rpartition(":")[2]))


LATER_STAGES = ("answering", "serve", "evaluate", "entry", "top")


def test_no_later_stage_writes_an_index_meta():
    """An index's ``meta`` is its corpus facts, written by the index stage. A later stage keeps its
    own state in its own files; one writing ``meta`` (the page's uploads once) makes the index
    carry another stage's data, and every save of the index another stage's format."""
    writes = [w for name, tree in TREES.items() if layer(name) in LATER_STAGES for w in meta_writes(name, tree)]
    assert not writes, f"writes into an index's meta outside the index stage: {writes}"


def test_meta_writes_are_caught():
    code = (
        "index = index.with_meta(uploads=u)\nindex.meta['x'] = 1\nindex.meta.update(y=2)\n"
        "del index.meta['x']\nvalue = index.meta.get('root')\nmeta = {}\nmeta['k'] = 1\n"
    )
    assert meta_writes("m", ast.parse(code)) == ["m:1", "m:2", "m:3", "m:4"]


# -- one name, one meaning ----------------------------------------------------------------------------

# Public top-level names that two qa modules define, and why that is right.
TWICE_ALLOWED = {
    "log": "each module's own logging.getLogger, named for it",
    "main": "the conventional name of an entry point: the command line's (qa.cli) and the Streamlit script's",
    "ANSWER_K": "the same value, 5 passages an answer, in two evaluate modules (the same meaning)",
    "Log": "the same type, Callable[[str], None], in two evaluate modules (the same meaning)",
    "DEFAULT_K": "the same value, 5 passages, for the page and the API (the same meaning)",
    "HEADING_MAX_CHARS": "the same value, 120, for the reader and the chunker (the same meaning)",
}


def public_definitions(name: str, tree: ast.Module) -> set[str]:
    """The public names a module defines at top level (functions, classes, assignments); imported
    names are not definitions."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {n for n in names if not n.startswith("_")}


def defined_twice(trees: dict[str, ast.Module]) -> dict[str, list[str]]:
    where: dict[str, list[str]] = {}
    for name, tree in sorted(trees.items()):
        for defined in public_definitions(name, tree):
            where.setdefault(defined, []).append(name)
    return {n: ms for n, ms in sorted(where.items()) if len(ms) > 1}


def test_no_two_modules_define_one_name():
    """One name, one meaning: ``load_index`` was defined three times (folders, store, the page),
    ``write_json`` twice with its arguments swapped."""
    twice = {n: ms for n, ms in defined_twice(TREES).items() if n not in TWICE_ALLOWED}
    assert not twice, f"public names defined in two or more qa modules: {twice} (rename one for what it does)"


def test_a_name_defined_twice_is_caught():
    trees = {
        "qa.index.folders": ast.parse("def load_index(path): ...\n"),
        "qa.index.store": ast.parse("from .x import y\ndef load_index(path): ...\n_private = 1\n"),
        "qa.index.other": ast.parse("from .store import load_index\n"),
    }
    assert defined_twice(trees) == {"load_index": ["qa.index.folders", "qa.index.store"]}


def test_the_allow_lists_hold_no_stale_entries():
    """An entry whose probe or second definition is gone is deleted, so the lists stay the reasons
    for what the code does now."""
    found = {p for name, tree in TREES.items() for p in attribute_probes(name, tree)}
    twice = defined_twice(TREES)
    stale = sorted(str(k) for k in GETATTR_ALLOWED if k not in found)
    stale += sorted(n for n in TWICE_ALLOWED if n not in twice)
    assert not stale, f"allow-list entries that no longer match the code: {stale}"


# -- the README's layout names every module -----------------------------------------------------------


def test_the_readme_layout_names_every_module():
    """README.md's "Project layout" block names each module of the package (as ``qa/x.py``, or under
    its stage's line by its name), so the layout a newcomer reads is the code's."""
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("## Project layout") :]
    block = block[block.index("```") + 3 :]
    block = block[: block.index("```")]
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).as_posix()
        if path.name in ("__init__.py", "__main__.py") and rel != "qa/__init__.py":
            continue
        stage = path.parent.relative_to(PACKAGE).as_posix() if path.parent != PACKAGE else None  # "ingest/formats"
        if stage is None:
            found = rel in block
        else:
            lines = block.split("\n")
            start = next((i for i, line in enumerate(lines) if line.startswith(f"qa/{stage}/")), None)
            stop = start is not None and next(
                (i for i in range(start + 1, len(lines)) if lines[i] and not lines[i].startswith(" ")), len(lines)
            )
            found = start is not None and re.search(rf"\b{path.stem}\b", "\n".join(lines[start:stop])) is not None
        if not found:
            missing.append(rel)
    assert not missing, f"modules the README's layout does not name: {missing}"
