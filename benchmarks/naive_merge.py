"""The naive chain's merge step: executed notebooks → one notebook, in the brief's reading order.

A small stand-alone nbformat script, as one would write it without the pipeline: concatenate the
cells (parameters cells dropped), validate, write. Run as its own process in the naive chain.

    python benchmarks/naive_merge.py OUT.ipynb IN1.ipynb IN2.ipynb ...
"""
import sys

import nbformat


def main(argv: list[str]) -> int:
    out, sources = argv[0], argv[1:]
    merged = nbformat.v4.new_notebook()
    for i, path in enumerate(sources):
        nb = nbformat.read(path, as_version=4)
        if i == 0:
            merged.metadata = nb.metadata
        for cell in nb.cells:
            if {"parameters", "injected-parameters"} & set(cell.metadata.get("tags", [])):
                continue
            cell["id"] = f"{i}-{cell.get('id', len(merged.cells))}"[:64]
            merged.cells.append(cell)
    nbformat.validate(merged)
    nbformat.write(merged, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
