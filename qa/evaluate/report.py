"""`qa eval`'s output: the plain-text tables, the JSON file and the chart."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ..errors import QAError
from ..files import atomic_file
from .metrics import METRICS
from . import questionset
from .runs import ANSWER_FIGURES, ANSWER_K, BENCH_HINT
from .tables import text_table

__all__ = ["format_table", "plot", "require_matplotlib"]


def _fmt(value, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def format_table(results: dict, *, verbose: bool = False) -> str:
    """The results as plain-text tables: one per dataset, then answers, abstention and question sets.

    Parameters
    ----------
    results : dict
        As returned by `evaluate`.
    verbose : bool, default=False
        List each question set's misses, one line a question and problem.

    Returns
    -------
    str
    """
    blocks = []
    for name, d in results["datasets"].items():
        judged = next(iter(d["retrieval"].values()), {}).get("queries")
        title = f"{name}: {d['documents']:,} documents, {d['judged']:,} judged queries" + (
            f" ({judged:,} with a relevant document)" if judged is not None else ""
        )
        rows = [
            [
                s,
                *(_fmt(f[m]) for m in METRICS),
                _fmt(f["index_seconds"], 2),
                "-" if f["queries_per_second"] is None else f"{f['queries_per_second']:,.0f}",
            ]
            for s, f in d["retrieval"].items()
        ]
        table = text_table(["system", *METRICS, "index s", "q/s"], rows) if rows else "(no system ran)"
        blocks.append(f"{title}\n{table}")
        if d["answers"]:
            any_answers = next(iter(d["answers"].values()))
            rows = [[s, *(_fmt(a[k]) for k in ANSWER_FIGURES)] for s, a in d["answers"].items()]
            blocks.append(
                f"{name} answers (k={results.get('answer_k', ANSWER_K)}): {any_answers['answerable']:,} answerable, "
                f"{any_answers['unanswerable']:,} unanswerable questions\n"
                + text_table(["system", *ANSWER_FIGURES], rows)
            )
    if results["ood"]:
        rows = [[o["queries"], o["corpus"], f"{o['asked']:,}", _fmt(o["abstained"])] for o in results["ood"]]
        header = ["questions of", "asked of", "asked", "ood_abstained"]
        blocks.append("out-of-domain abstention (qa)\n" + text_table(header, rows))
    if len(results.get("question_sets", {})) > 1:
        blocks.append(questionset.format_question_sets(results["question_sets"]))
    for name, entry in results.get("question_sets", {}).items():
        blocks.append(questionset.format_question_set(name, entry, verbose=verbose))
    for note in results.get("notes", ()):
        blocks.append(f"note: {note}")
    return "\n\n".join(blocks) + "\n"


def require_matplotlib() -> None:
    """Raise QAError saying how to install matplotlib when it is missing."""
    try:
        found = importlib.util.find_spec("matplotlib") is not None
    except ValueError:  # sys.modules["matplotlib"] is None
        found = False
    if not found:
        raise QAError(f"--plot needs matplotlib, which is not installed: {BENCH_HINT}")


def plot(results: dict, path) -> None:
    """A grouped bar chart of every metric per system, one panel per dataset; qa highlighted.

    Saved as PNG, atomically.

    Raises
    ------
    QAError
        matplotlib is not installed.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise QAError(f"--plot needs matplotlib, which is not installed: {BENCH_HINT}") from None

    datasets = [(n, d) for n, d in results["datasets"].items() if d["retrieval"]]
    if not datasets:
        raise QAError("nothing to plot: no system produced figures")
    peer_colours = ["#8c8c8c", "#b3b3b3", "#5f6f7f", "#d0d0d0"]
    fig, axes = plt.subplots(len(datasets), 1, figsize=(11, 3.6 * len(datasets)), squeeze=False)
    for ax, (name, d) in zip(axes[:, 0], datasets):
        systems = list(d["retrieval"])
        width = 0.8 / len(systems)
        peers = iter(peer_colours * 2)
        for i, s in enumerate(systems):
            if s == "qa":
                style = {"color": "#d62728", "edgecolor": "black", "linewidth": 1.2, "zorder": 3}
            elif s.startswith("qa"):
                style = {"color": "#ff9896", "edgecolor": "black", "linewidth": 0.6, "zorder": 3}
            else:
                style = {"color": next(peers), "edgecolor": "none", "zorder": 2}
            xs = [j + (i - (len(systems) - 1) / 2) * width for j in range(len(METRICS))]
            ax.bar(xs, [d["retrieval"][s][m] for m in METRICS], width, label=s, **style)
        ax.set_xticks(range(len(METRICS)), METRICS)
        ax.set_ylim(0, 1)
        ax.set_ylabel("score")
        ax.set_title(f"{name} ({d['documents']:,} documents, {d['judged']:,} judged queries)")
        ax.grid(axis="y", alpha=0.3, zorder=0)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=len(labels), frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.45 / fig.get_figheight()))
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with atomic_file(target, binary=True) as fh:
            fig.savefig(fh, format="png", dpi=110)
    finally:
        plt.close(fig)
