"""Execute one notebook headlessly with nbclient and report a failing cell's real error.

tslab's error reply only says `<Error>`; the message is in the cell's stderr stream, so on
failure this prints the notebook, the cell number, its source and that stderr text.
Usage: python3 run_notebook.py NOTEBOOK OUTPUT_NOTEBOOK [TIMEOUT_SECONDS]
Exit codes: 0 ok, 3 a cell failed (the partial notebook is still written), 2 usage/other errors.
"""
import os
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def cell_error_text(cell):
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            parts.append(output.get("text", ""))
        elif output.get("output_type") == "error":
            parts.append("%s: %s" % (output.get("ename", ""), output.get("evalue", "")))
    return "".join(parts).strip() or "(the kernel gave no error text)"


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    source, target = sys.argv[1], sys.argv[2]
    timeout = int(sys.argv[3]) if len(sys.argv) > 3 else 900
    notebook = nbformat.read(source, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="tslab",
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(source))}},
    )
    failed = None
    # Cell by cell, so the failing cell's index is known (tslab's reply carries no traceback).
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            try:
                client.execute_cell(cell, index)
            except CellExecutionError:
                failed = (index, cell)
                break
    nbformat.write(notebook, target)
    if failed is not None:
        index, cell = failed
        print("Notebook %s failed in cell %d:\n--- cell source ---\n%s\n--- error ---\n%s"
              % (source, index + 1, cell.get("source", ""), cell_error_text(cell)), file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
