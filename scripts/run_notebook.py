"""Execute notebooks headlessly with nbclient, in order, and report a failing cell's real error.

    python3 run_notebook.py [--html] [--timeout SECONDS] [--first-beside] NOTEBOOK OUTPUT_NOTEBOOK [NOTEBOOK OUTPUT_NOTEBOOK ...]

Each notebook runs in its own fresh kernel (nothing passes between notebooks but files), in the
order given, and stops at the first failure. To save wall time, one Python process runs them
all: the next notebooks' kernels are started while the current one executes (a kernel start is
Node, tsx and TypeScript start-up plus the compile of the notebook's imports cell and the
loading of its modules, ~2-3 s of CPU that does not depend on earlier notebooks; two ahead on a
small export, one ahead on a large one: `kernels_ahead`), and
`--html` renders each executed notebook with nbconvert's HTMLExporter in this process instead
of one jupyter-nbconvert process per notebook.

--first-beside: the first notebook runs in a second runner process beside the others (for 00_setup_check,
which reads nothing the others write and writes nothing they read): its kernel boot and cells no longer
delay 01. Its report still comes first, and if it fails the run stops there with its error.

tslab's error reply only says `<Error>`; the message is in the cell's stderr stream, so on
failure this prints the notebook, the cell number, its source and that stderr text.
stderr: a progress line per notebook, then a failure's details.
stdout: one JSON line per notebook: {"notebook", "seconds", "ok", "cells": [[cell id, seconds, kernel
peak RSS MB after it]...], "peakRssMb"}
("seconds" runs from the end of the previous notebook to the end of this one, so the numbers
add up to the wall time but for the last HTML rendering: the renderings are written on a second
thread while the next notebook runs).
Exit codes: 0 ok, 3 a cell failed (the partial notebook is still written), 2 usage/other errors.
"""
import base64
import copy
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

KERNEL = "tslab"


def cell_error_text(cell):
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            parts.append(output.get("text", ""))
        elif output.get("output_type") == "error":
            parts.append("%s: %s" % (output.get("ename", ""), output.get("evalue", "")))
    return "".join(parts).strip() or "(the kernel gave no error text)"


def start_kernel(source):
    """Starts a kernel for `source` (cwd = its folder) without waiting for it to be ready.

    TSLAB_WARMUP names the notebook to the project's kernel launcher, which compiles its first
    (imports) cell and loads those modules before answering: the next kernel does that while the
    current notebook runs (jupyter/kernels/tslab/launch.js).
    """
    km = KernelManager(kernel_name=KERNEL)
    env = dict(os.environ, TSLAB_WARMUP=os.path.abspath(source))
    km.start_kernel(cwd=os.path.dirname(os.path.abspath(source)), env=env)
    return km


def stop_kernel(km):
    try:
        if km.has_kernel:
            km.shutdown_kernel(now=False)
    finally:
        km.cleanup_resources()


def peak_rss_mb(km):
    """The kernel process's peak resident set so far (VmHWM), read before it is shut down; None if unknown."""
    try:
        pid = km.provisioner.process.pid
        with open("/proc/%d/status" % pid) as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024)
    except Exception:
        return None
    return None


def first_data_cell(notebook):
    """Index of the code cell after the parameters cell (tagged `parameters`), else of the first code cell."""
    code = [i for i, c in enumerate(notebook.cells) if c.cell_type == "code"]
    tagged = [k for k, i in enumerate(code) if "parameters" in notebook.cells[i].get("metadata", {}).get("tags", [])]
    if tagged and tagged[0] + 1 < len(code):
        return code[tagged[0] + 1]
    return code[0] if code else -1


def cell_seconds(cell):
    timing = cell.get("metadata", {}).get("execution", {})
    busy, idle = timing.get("iopub.status.busy"), timing.get("iopub.status.idle")
    if not busy or not idle:
        return None
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))
    return round((parse(idle) - parse(busy)).total_seconds(), 2)


def run(source, target, km, timeout, on_data=lambda: None):
    """Executes `source` on the started kernel `km`; calls `on_data` once its first data cell ran.

    Returns the executed notebook, the failing (index, cell) or None, and per code cell
    [id, seconds, kernel peak RSS in MB after the cell].
    """
    notebook = nbformat.read(source, as_version=4)
    client = NotebookClient(
        notebook,
        km=km,
        timeout=timeout,
        kernel_name=KERNEL,
        record_timing=True,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(source))}},
    )
    failed = None
    data_cell = first_data_cell(notebook)
    peaks = {}
    # Cell by cell, so the failing cell's index is known (tslab's reply carries no traceback).
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            try:
                client.execute_cell(cell, index)
            except CellExecutionError:
                failed = (index, cell)
                break
            finally:
                if cell.cell_type == "code":
                    peaks[index] = peak_rss_mb(km)
                if index == data_cell:
                    on_data()
                # tslab replies without an execution count; number the cells in execution order
                # so the HTML shows In [1], In [2], ... instead of In [ ].
                if cell.cell_type == "code" and cell.get("execution_count") is None:
                    cell.execution_count = sum(1 for c in notebook.cells[: index + 1] if c.cell_type == "code")
        if client.kc is not None:
            client.kc.stop_channels()
    nbformat.write(notebook, target)
    cells = [[c.get("id"), cell_seconds(c), peaks.get(i)] for i, c in enumerate(notebook.cells) if c.cell_type == "code"]
    return notebook, failed, cells


def html_rendering(exporter, notebook, name):
    """The notebook as one self-contained HTML page.

    nbconvert 6.5 passes inline SVG outputs through its HTML sanitizer, which strips every SVG
    element and leaves only the text (blank figures). The lab template instead shows an output's
    `svg_filename` as <img src=...>; a data: URI there keeps the page self-contained, and an SVG
    shown through <img> can run no script.
    """
    notebook = copy.deepcopy(notebook)
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            svg = output.get("data", {}).get("image/svg+xml")
            if svg is not None:
                text = svg if isinstance(svg, str) else "".join(svg)
                output["svg_filename"] = "data:image/svg+xml;base64," + base64.b64encode(text.encode("utf-8")).decode("ascii")
    body, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": name}})
    return body


def main(argv):
    html, timeout, beside, paths = False, 900, False, []
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg == "--html":
            html = True
        elif arg == "--timeout":
            timeout = int(args.pop(0))
        elif arg == "--first-beside":
            beside = True
        else:
            paths.append(arg)
    if not paths or len(paths) % 2:
        print(__doc__, file=sys.stderr)
        return 2
    pairs = list(zip(paths[0::2], paths[1::2]))
    first = None
    if beside and len(pairs) > 1:
        first = BesideRun(pairs[0], html, timeout)
        pairs = pairs[1:]
    # The first notebook (00) loads no data and runs for about a second: its successor's kernel
    # boots beside its own from the start, on the core that would otherwise idle (~2 s sooner
    # ready at every export size).
    started = {}
    try:
        for k in range(min(1 if first else 2, len(pairs))):
            started[k] = start_kernel(pairs[k][0])
        exporter = None
        if html:
            from nbconvert import HTMLExporter  # while the kernels boot

            exporter = HTMLExporter()
        mark = time.time()
        # Each HTML rendering (~0.25 s of nbconvert) is written on a thread of its own while the
        # next notebook runs; leaving the `with` waits for the last one.
        renderings = []
        # A finished notebook's kernel is shut down on a thread of its own as well (~0.1-0.2 s each
        # of waiting for it to exit, which the next notebook no longer waits for); leaving the
        # `with` waits for every shutdown.
        with ThreadPoolExecutor(max_workers=1) as renderer, ThreadPoolExecutor(max_workers=1) as stopper:

            def render(notebook, target):
                if exporter is not None:
                    renderings.append(renderer.submit(write_html, exporter, notebook, target))

            code = run_all(pairs, started, kernels_ahead(os.environ.get("SPOTIFY_EXPORT")), timeout, render, mark, first, lambda km: stopper.submit(stop_kernel, km))
    except BaseException:
        stop_kernels(started)  # no kernel outlives the runner
        if first is not None:
            first.stop()
            first.report()  # what it got to, first: the error that follows is not its
        raise
    failed_html = [r.exception() for r in renderings if r.exception() is not None]
    for error in failed_html:
        print("Writing an HTML rendering failed: %s" % error, file=sys.stderr)
    # A failed cell's code (3) stands; a failed rendering alone is an error (2).
    return code if code or not (failed_html or (first is not None and first.html_failed)) else 2


# Below this many bytes of export, booting kernels (not loading data) bounds the run.
SMALL_EXPORT_BYTES = 256 * 1024 * 1024


def kernels_ahead(export):
    """How many notebooks ahead kernels boot: 2 for a small export (its notebooks run for a
    second or two, less than a kernel takes to boot: at 3k plays all notebooks 19.5 → 17.4 s),
    else 1 (at 1M plays a second kernel booting beside a notebook's data loading slowed it:
    01's parse 4.9 → 6.3 s). An export that cannot be read counts as large."""
    return 2 if export_bytes(export, SMALL_EXPORT_BYTES) < SMALL_EXPORT_BYTES else 1


def export_bytes(export, stop_at):
    """The bytes of an export (the zip, or every file in the folder), counted up to `stop_at`."""
    if export and os.path.isfile(export):
        return os.path.getsize(export)
    if not export or not os.path.isdir(export):
        return stop_at
    total = 0
    for folder, _, files in os.walk(export):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(folder, name))
            except OSError:
                pass
            if total >= stop_at:
                return total
    return total


def write_html(exporter, notebook, target):
    body = html_rendering(exporter, notebook, os.path.splitext(os.path.basename(target))[0])
    with open(os.path.splitext(target)[0] + ".html", "w", encoding="utf-8") as out:
        out.write(body)


class BesideRun:
    """The first notebook, run by a second runner process beside this one (`--first-beside`)."""

    def __init__(self, pair, html, timeout):
        args = [sys.executable, os.path.abspath(__file__)] + (["--html"] if html else []) + ["--timeout", str(timeout)] + list(pair)
        # Its output goes to files, not pipes: a pipe would also wait for anything its kernel left open.
        self.out = tempfile.TemporaryFile(mode="w+")
        self.err = tempfile.TemporaryFile(mode="w+")
        # At a lower priority: where it competes with the next notebook for a core, that one goes first.
        self.process = subprocess.Popen(args, stdout=self.out, stderr=self.err, text=True, preexec_fn=lambda: os.nice(10))
        self.reported = None
        self.html_failed = False

    def report(self):
        """Waits for it, relays its report line(s) and progress once, and returns (exit code, its seconds).

        Exit code 2 after a notebook that ran (only its HTML rendering failed) is no reason to stop the
        run: it comes back as 0 and `html_failed` is set.
        """
        if self.reported is None:
            self.process.wait()
            self.out.seek(0)
            self.err.seek(0)
            out, err = self.out.read(), self.err.read()
            sys.stdout.write(out)
            sys.stdout.flush()
            sys.stderr.write(err)
            sys.stderr.flush()
            runs = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
            seconds = runs[-1]["seconds"] if runs else 0
            code = self.process.returncode
            if code == 2 and runs and runs[-1].get("ok"):
                self.html_failed, code = True, 0
            self.reported = (code, seconds)
        return self.reported

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()  # its own handler stops its kernel
            self.process.wait()


def run_all(pairs, started, ahead, timeout, render, mark, first=None, stop=stop_kernel):
    """Runs the notebooks in order (see `main`); returns the exit code.

    `first`: a notebook running beside these (BesideRun), reported before the first of them;
    if it failed, the run stops with its exit code and nothing more is rendered or reported.

    `stop`: shuts down a finished notebook's kernel (`stop_kernel`, or a call that queues it).

    `started`: kernel managers already booting, by notebook index. Once notebook k's first data
    cell has run, the kernel of notebook k + `ahead` starts (~2 s of CPU: Node, TypeScript and
    the compile of its imports cell) on the other core. Not before that cell: on a large export
    it loads the data and a user waits for it; and a kernel still binding its sockets when
    messages arrive logs EBUSY.
    """
    for position, (source, target) in enumerate(pairs):
        km = started.pop(position, None) or start_kernel(source)

        def start_ahead():
            for k in range(position + 1, min(position + ahead, len(pairs) - 1) + 1):
                if k not in started:
                    started[k] = start_kernel(pairs[k][0])
                    return

        peak = None
        try:
            notebook, failed, cells = run(source, target, km, timeout, start_ahead)
            if failed is None:
                start_ahead()  # a notebook without a data cell
            peak = peak_rss_mb(km)
        except BaseException:
            stop_kernels(started)
            raise
        finally:
            stop(km)
        if first is not None:
            code, seconds = first.report()
            if code:
                stop_kernels(started)
                return code
            # This notebook's time counts from the end of the one beside it, so the times still add up.
            mark += seconds
            first = None
        ok = failed is None
        if ok:
            render(notebook, target)
        now = time.time()
        print(json.dumps({"notebook": os.path.basename(source), "seconds": round(now - mark, 2), "ok": ok, "cells": cells, "peakRssMb": peak}), flush=True)
        slowest = sorted((c for c in cells if c[1] is not None), key=lambda c: -c[1])[:3]
        print("%s %s (%.1f s; slowest cells %s)" % ("ok  " if ok else "FAIL", os.path.basename(source), now - mark,
              ", ".join("%s %.1f s" % (c[0], c[1]) for c in slowest)), file=sys.stderr, flush=True)
        mark = now
        if not ok:
            stop_kernels(started)
            index, cell = failed
            print("Notebook %s failed in cell %d:\n--- cell source ---\n%s\n--- error ---\n%s"
                  % (source, index + 1, cell.get("source", ""), cell_error_text(cell)), file=sys.stderr)
            return 3
    return 0


def stop_kernels(started):
    for km in started.values():
        stop_kernel(km)
    started.clear()


if __name__ == "__main__":
    # A runner stopped by SIGTERM (the one beside being stopped) still stops its kernels on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main(sys.argv[1:]))
