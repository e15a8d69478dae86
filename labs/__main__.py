"""`python -m labs`: list every lab with its one-line description.

The labs are found by reading their source, not by importing them, so the list prints instantly
without starting TensorFlow.
"""

import ast
import pathlib

LABS_DIR = pathlib.Path(__file__).parent


def available_labs():
    """Returns `[(name, one_line_description)]` for each runnable lab module, sorted by name."""
    labs = []
    for path in sorted(LABS_DIR.glob("*.py")):
        if path.name.startswith("_"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        has_main = any(isinstance(node, ast.FunctionDef) and node.name == "main" for node in tree.body)
        if has_main:
            docstring = ast.get_docstring(tree) or ""
            labs.append((path.stem, docstring.split("\n", 1)[0].strip()))
    return labs


def main():
    labs = available_labs()
    width = max((len(name) for name, _ in labs), default=0)
    print("Day-3 labs. Run one with `python -m labs.<name>`; `--help` shows its flags.\n")
    for name, description in labs:
        print(f"  {name:<{width}}  {description}")


if __name__ == "__main__":
    main()
