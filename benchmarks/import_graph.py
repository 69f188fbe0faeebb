"""The package graph of caseapp, as the layering issue measures it.

Prints, from the real source (every import, those inside functions too):
the number of imports that cross from one caseapp package to another, the
number of imports made inside a function, the package-to-package edges, and
the cycles among packages. Run: python benchmarks/import_graph.py [--edges]
"""
from __future__ import annotations

import ast
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "caseapp"


def package_of(module: str) -> str:
    """caseapp.cases.views -> cases; caseapp.clock -> clock (a top-level module)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "caseapp"


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def resolve(module: str, node: ast.ImportFrom | ast.Import, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        parts = module.split(".")
        if not is_package:
            parts = parts[:-1]
        parts = parts[: len(parts) - (node.level - 1)]
        base = ".".join(parts + ([base] if base else []))
    if node.module is None:  # from . import a, b
        return [f"{base}.{alias.name}" for alias in node.names]
    return [base]


def walk():
    edges: Counter[tuple[str, str]] = Counter()
    inside_functions = 0
    cross = 0
    for path in sorted(SOURCE.rglob("*.py")):
        module = module_name(path)
        tree = ast.parse(path.read_text("utf-8"))
        nested = set()
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                for inner in ast.walk(fn):
                    if isinstance(inner, ast.Import | ast.ImportFrom):
                        nested.add(id(inner))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            targets = [t for t in resolve(module, node, path.name == "__init__.py")
                       if t == "caseapp" or t.startswith("caseapp.")]
            if not targets:
                continue
            if id(node) in nested:
                inside_functions += 1
            for target in targets:
                a, b = package_of(module), package_of(target)
                if a != b and b != "caseapp":
                    edges[(a, b)] += 1
                    cross += 1
    return edges, inside_functions, cross


def cycles(edges) -> list[list[str]]:
    graph = defaultdict(set)
    for a, b in edges:
        graph[a].add(b)
    index, low, stack, on, found = {}, {}, [], set(), []
    counter = [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in list(graph):
        if v not in index:
            strong(v)
    return found


def main() -> None:
    edges, inside, cross = walk()
    print(f"cross-package imports: {cross}")
    print(f"imports inside functions: {inside}")
    print(f"package edges: {len(edges)}")
    for component in cycles(edges):
        print(f"cycle among {len(component)} packages: {', '.join(component)}")
    if "--edges" in sys.argv:
        for (a, b), n in sorted(edges.items()):
            print(f"  {a} -> {b}: {n}")


if __name__ == "__main__":
    main()
