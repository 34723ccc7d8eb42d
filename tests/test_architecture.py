"""The structure docs/architecture.md describes: an acyclic module graph, a pinned public API.

The module graph is read with `ast` from every `import` in src/: at module level, inside
functions and under `TYPE_CHECKING` alike, and every edge counts: there is no cycle, and
pyproject.toml's import contracts excuse no import. `lint-imports` (scripts/check) checks the
layers themselves.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import drusilla
import drusilla.testing
import drusilla.tracing

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


def module_name(path: Path) -> str:
    parts = ["drusilla", *path.relative_to(SRC).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in SRC.rglob("*.py")}


def owning_module(dotted: str) -> str | None:
    while dotted and dotted not in MODULES:
        dotted = dotted.rpartition(".")[0]
    return dotted or None


def _is_type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports_of(module: str) -> Iterator[tuple[str, bool]]:
    """(imported drusilla module, whether this import is under TYPE_CHECKING), for every import."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def walk(node: ast.AST, type_only: bool) -> Iterator[tuple[str, bool]]:
        for child in ast.iter_child_nodes(node):
            inner = type_only or _is_type_checking_block(child)
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                # `from package import name` runs the package's __init__ too: an edge to it
                names = [base, *(f"{base}.{alias.name}" for alias in child.names)]
            for name in names:
                target = owning_module(name) if name.startswith("drusilla") else None
                if target is not None and target != module:
                    yield target, inner
            yield from walk(child, inner)

    yield from walk(ast.parse(path.read_text()), False)


def import_graph() -> dict[str, dict[str, bool]]:
    """importer -> {imported: True when every import of it is type-only}."""
    graph: dict[str, dict[str, bool]] = {module: {} for module in MODULES}
    for module in MODULES:
        for target, type_only in imports_of(module):
            graph[module][target] = graph[module].get(target, True) and type_only
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)) is not None:
            return found
    return None


def test_the_graph_reader_sees_every_kind_of_import() -> None:
    graph = import_graph()
    assert graph["drusilla.runners.run_loop"]["drusilla.util.context"] is False  # module level
    assert "drusilla.models.openai.provider" in graph["drusilla.models.provider"]  # in a function
    assert graph["drusilla.runners.records"]["drusilla.agents.agent"] is True  # TYPE_CHECKING
    assert "drusilla.models.openai" in graph["drusilla.models.openai.model"]  # `from . import x`


def test_the_cycle_finder_finds_a_cycle() -> None:
    toy = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(toy) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_among_modules() -> None:
    graph = {module: set(targets) for module, targets in import_graph().items()}
    assert find_cycle(graph) is None


def test_the_import_contracts_excuse_no_import() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert config.get("exclude_type_checking_imports", False) is False
    for contract in config["contracts"]:
        assert contract.get("ignore_imports", []) == [], contract["name"]


def top_level_names(tree: ast.Module) -> tuple[set[str], list[str] | None]:
    """The names a module binds outside functions and classes, and its `__all__` (if any)."""
    bound: set[str] = set()
    declared: list[str] | None = None
    statements: list[ast.stmt] = list(tree.body)
    while statements:
        node = statements.pop()
        if isinstance(node, ast.If | ast.Try):
            statements.extend([*node.body, *node.orelse])
            continue
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {t.id for t in targets if isinstance(t, ast.Name)}
            bound.update(names)
            if "__all__" in names and node.value is not None:
                declared = ast.literal_eval(node.value)
    return bound, declared


def test_every_module_declares_all_and_it_names_what_the_module_binds() -> None:
    for module, path in sorted(MODULES.items()):
        bound, declared = top_level_names(ast.parse(path.read_text()))
        assert declared is not None, f"{module} declares no __all__"
        lazy = "__getattr__" in bound  # names a module __getattr__ provides (drusilla's openai)
        missing = [name for name in declared if name not in bound and not lazy]
        assert missing == [], f"{module}.__all__ names what it does not bind: {missing}"
        assert len(set(declared)) == len(declared), f"{module}.__all__ repeats a name"


def test_the_runtime_never_imports_the_test_kit() -> None:
    for module, targets in import_graph().items():
        if not module.startswith(("drusilla.testing", "drusilla.cli")):
            assert not any(t.startswith("drusilla.testing") for t in targets), module


PUBLIC_NAMES = """
    Agent AgentCharms AgentUpdatedStreamEvent AnthropicModel BatchItem BatchResult Endpoint
    RayCluster
    FallbackModel ModelRetry SessionSettings UsageLimitExceeded UsageLimits estimate_cost
    SwordSpec keep_last SwordProgressEvent ElicitationRequest ElicitationResult is_destructive
    GeminiModel
    InputShield InputShieldResult
    InputShieldTripwireTriggered MCPServer MCPServerError MCPServerStdio MCPServerStreamableHTTP
    MCPToolError MCPToolFilter MCPToolResult MaxTurnsError MessageOutputItem Model
    ModelBehaviorError ModelError ModelProfile ModelProvider ModelRequest ModelResponse
    ModelSettings ModelStreamEvent OpenAIChatModel OpenAIProvider OpenAIResponsesModel Orb
    OrbCallItem OrbInputData OrbOutputItem OutputShield OutputShieldResult
    OutputShieldTripwireTriggered RawResponseEvent ReasoningDelta ReasoningItem ResponseDone
    RunCharms RunConfig RunContextWrapper RunErrorDetails RunItem RunItemStreamEvent RunObserver
    RunResult RunState STATE_VERSION SwordApprovalItem
    RunResultStreaming RunTimeoutError Runner RunnerError SQLiteSession Session Settings
    ShieldResult StopAtSwords StreamEvent Sword SwordArgumentsError SwordCallDelta SwordCallItem
    SwordCallOutputItem SwordContext SwordError SwordResult SwordsToFinalOutputResult TextDelta
    Usage UserError __version__ get_settings input_shield json_from_text orb output_shield
    profile_for register_profile reload_settings remove_all_swords sword unregister_profiles
    ChatStrategy chat_strategies register_request_formatter request_formatters MCPToolAgent
"""


def test_public_names_are_pinned_and_importable() -> None:
    assert sorted(drusilla.__all__) == sorted(PUBLIC_NAMES.split())
    for package in (drusilla, drusilla.testing, drusilla.tracing):
        for name in package.__all__:
            assert getattr(package, name) is not None, f"{package.__name__}.{name}"


def test_docs_and_examples_import_only_the_public_surface() -> None:
    pages = [*ROOT.glob("docs/*.md"), ROOT / "README.md", *ROOT.glob("examples/*.py")]
    public = r"testing\b|tracing\b|durable\b|serve\b|evals\b"
    internal = re.compile(rf"from drusilla\.(?!{public})[\w.]+ import")
    offenders = [
        f"{page.relative_to(ROOT)}: {match.group(0)}"
        for page in pages
        for match in internal.finditer(page.read_text())
    ]
    assert offenders == []


def private_names_defined(tree: ast.Module) -> set[str]:
    """The `_private` names a module makes: functions, classes, assignments, attributes set."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
    return {name for name in names if is_private(name)}


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_reach_ins(sources: dict[str, str]) -> list[str]:
    """Where a module (of `sources`, by name) imports another drusilla module's `_private`
    name, or reads a `_private` attribute of something not its own (not `self` or `cls`) that
    only other modules define. (`parts._replace`, `sys._getframe`: defined by no module here.)"""
    trees = {module: ast.parse(source) for module, source in sources.items()}
    defined = {module: private_names_defined(tree) for module, tree in trees.items()}
    found: list[str] = []
    for module, tree in trees.items():
        others = set().union(*(names for other, names in defined.items() if other != module))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.level or node.module == "drusilla"):
                found += [f"{module} imports {a.name}" for a in node.names if is_private(a.name)]
            elif isinstance(node, ast.Attribute) and is_private(node.attr):
                own = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
                if not own and node.attr in others - defined[module]:
                    found.append(f"{module}:{node.lineno} reads .{node.attr}")
    return sorted(found)


def test_the_reach_in_finder_finds_imports_and_attributes() -> None:
    sources = {
        "server": "class S:\n    def _hold(self):\n        self._count = 1\n",
        "gear": "from .server import _helper\ndef f(s):\n    s._hold()\n    s._count\n",
        "fine": "import sys\ndef g(s, parts):\n    sys._getframe(); parts._replace()\n",
    }
    assert private_reach_ins(sources) == [
        "gear imports _helper",
        "gear:3 reads ._hold",
        "gear:4 reads ._count",
    ]


def test_no_module_reaches_into_another_modules_private_names() -> None:
    sources = {module: path.read_text() for module, path in MODULES.items()}
    assert private_reach_ins(sources) == []


MAX_CLASS_LINES = 250
MAX_METHOD_LINES = 40


def _sizes(kind: type[ast.AST] | tuple[type[ast.AST], ...]) -> Iterator[tuple[str, int]]:
    """(where, lines) of every `kind` node in runners/ (decorators and docstrings included)."""
    for path in sorted((SRC / "runners").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, kind):
                assert isinstance(node, ast.stmt) and node.end_lineno is not None
                first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
                name = getattr(node, "name", "?")
                yield f"{path.relative_to(SRC)}:{node.lineno} {name}", node.end_lineno - first + 1


def test_the_sizes_reader_measures_a_definition() -> None:
    sizes = dict(_sizes(ast.ClassDef))
    (loop,) = [lines for where, lines in sizes.items() if where.endswith(" RunLoop")]
    assert 100 < loop <= MAX_CLASS_LINES


def test_runners_classes_and_functions_stay_small() -> None:
    """The run loop is a conductor over parts (docs/architecture.md, "the turn loop"): no
    class in runners/ over 250 lines, no function or method over 40."""
    big_classes = [f"{w} ({n})" for w, n in _sizes(ast.ClassDef) if n > MAX_CLASS_LINES]
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    long_functions = [f"{w} ({n})" for w, n in _sizes(functions) if n > MAX_METHOD_LINES]
    assert big_classes == []
    assert long_functions == []
