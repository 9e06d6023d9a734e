"""The layout's promises: no import cycles, no module importing another's private names, every
runtime dependency imported by the code it is listed for, the CLI starting without the
statistics stack.

The import graph counts every ``import`` statement, at module level or inside a function, so a
"lazy" import cannot hide a cycle. Run ``python tests/test_architecture.py`` to print the graph's
cycles and private imports.
"""
import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "semtrust"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) for every semtrust import in the file; names are empty for ``import x``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("semtrust"):
            found.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.startswith("semtrust")]
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    edges = {m: set() for m in modules}
    for name, path in modules.items():
        for target, names in imports(path):
            # `from semtrust.io import exports` imports the module semtrust.io.exports
            targets = [f"{target}.{n}" for n in names if f"{target}.{n}" in modules] or [target]
            edges[name] |= {t for t in targets if t in modules and t != name}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
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
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def private_imports() -> list[str]:
    return [f"{module_name(p)} imports {name} from {target}"
            for p in PACKAGE.rglob("*.py") for target, names in imports(p)
            for name in names if name.startswith("_") and name != "__version__"]


def test_no_import_cycles():
    assert cycles(graph()) == []


def test_no_private_names_imported_across_modules():
    assert private_imports() == []


def test_the_graph_sees_lazy_imports():
    """A function-level import counts: the pipeline's lazy EFA import is an edge."""
    assert "semtrust.assessment.efa" in graph()["semtrust.pipeline"]


def test_every_runtime_dependency_is_imported():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    import_names = {"pyyaml": "yaml", "factor-analyzer": "factor_analyzer", "python-docx": "docx"}
    source = "\n".join(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py"))
    unused = []
    for requirement in project["dependencies"]:
        name = re.split(r"[<>=!\[ ;]", requirement, maxsplit=1)[0]
        module = import_names.get(name, name.replace("-", "_"))
        if not re.search(rf"^\s*(import|from) {module}\b", source, re.M):
            unused.append(name)
    assert unused == []


def test_cli_starts_without_the_statistics_stack():
    code = "import sys, semtrust.cli; print(sorted(m for m in ('pandas', 'scipy', 'numpy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


if __name__ == "__main__":
    print("cycles:", cycles(graph()) or "none")
    print("private imports:", private_imports() or "none")
