#!/usr/bin/env python3
"""Prints a study report's results.json as the README's Markdown leaderboard (test accuracy, CV mean ± std, tuned
settings, train time, worker), and the anchors file's entries for full-study-results.json's "entries" list.

    bench/study/leaderboard.py REPORT_DIR/results.json            # the Markdown table
"""
import json
import sys


def searched(model):
    s = model.get("search") or {}
    best = s.get("best") or {}
    if not best:
        return ""
    return ", ".join(f"{k}={v}" for k, v in sorted(best.items()))


def cv(model):
    s = model.get("search") or {}
    if s.get("mean_accuracy") is None:
        return "—"
    return f"{s['mean_accuracy']:.4f} ± {s.get('std_accuracy') or 0:.4f}"


def minutes(seconds):
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.1f} s"


def main(path):
    report = json.load(open(path))
    models = sorted(report["models"], key=lambda m: -m["test_accuracy"])
    print("| # | model | test accuracy | CV (mean ± std) | tuned | train | data | worker |")
    print("| ---: | --- | ---: | ---: | --- | ---: | ---: | --- |")
    for i, m in enumerate(models, 1):
        worker = (m.get("worker") or {})
        who = f"{worker.get('host', '')} pid {worker.get('process_id', '')}" if isinstance(worker, dict) else str(worker)
        print(f"| {i} | {m['name']} | **{m['test_accuracy']:.4f}** | {cv(m)} | {searched(m) or '—'} | "
              f"{minutes(m.get('train_seconds') or 0)} | {m.get('train_images', 0):,} | {who} |")
    run = report["run"]
    print()
    print(f"Study `{run.get('study')}`: {minutes(run.get('total_seconds') or 0)} wall, "
          f"{minutes(run.get('unit_seconds') or 0)} of unit time, started {run.get('started_utc')}.")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "results.json")
