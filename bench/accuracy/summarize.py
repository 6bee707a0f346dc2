#!/usr/bin/env python3
"""Collects run-full.sh's outputs (NAME.json from fmnist --json, NAME.time from /usr/bin/time -v) into summary.json and
summary.md, and checks issue 16's three goals. Usage: summarize.py OUT_DIR"""
import json
import os
import re
import sys


def wall_seconds(text):
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text)
    if not m:
        return None
    parts = [float(p) for p in m.group(1).split(":")]
    seconds = 0.0
    for p in parts:
        seconds = seconds * 60 + p
    return seconds


def field(text, name):
    m = re.search(re.escape(name) + r": (\S+)", text)
    return float(m.group(1)) if m else None


def load(out):
    rows = {}
    for entry in sorted(os.listdir(out)):
        if not entry.endswith(".json") or entry in ("summary.json",):
            continue
        name = entry[:-5]
        try:
            with open(os.path.join(out, entry)) as f:
                data = json.load(f)
        except (OSError, ValueError):
            continue
        row = {"name": name}
        for key in ("model", "test_accuracy", "train_seconds", "fit_seconds", "predict_seconds", "top1", "top3", "photos", "views"):
            if key in data:
                row[key] = data[key]
        if "per_class" in data:
            row["per_class"] = {k: {"top1": v.get("top1"), "top3": v.get("top3"), "photos": v.get("photos")} for k, v in data["per_class"].items()}
        if "members" in data:
            row["members"] = data["members"]
        time_path = os.path.join(out, name + ".time")
        if os.path.exists(time_path):
            with open(time_path) as f:
                text = f.read()
            row["wall_seconds"] = wall_seconds(text)
            user, system = field(text, "User time (seconds)"), field(text, "System time (seconds)")
            row["cpu_seconds"] = (user or 0) + (system or 0)
            rss = field(text, "Maximum resident set size (kbytes)")
            row["max_rss_mb"] = rss / 1024 if rss else None
        rows[name] = row
    return rows


def goals(rows):
    checks = []
    deep = rows.get("cnn-deep")
    if deep:
        acc, wall = deep.get("test_accuracy"), deep.get("wall_seconds")
        checks.append({"goal": "1: cnn-deep >= 0.950 in < 20 min wall", "accuracy": acc, "wall_minutes": wall / 60 if wall else None,
                       "met": bool(acc and wall and acc >= 0.950 and wall < 1200)})
    ens = rows.get("ensemble")
    if ens:
        members = ["cnn-deep", "cnn-deep-residual", "cnn4"]
        train_minutes = sum((rows.get(m, {}).get("wall_seconds") or 0) for m in members) / 60
        acc = ens.get("test_accuracy")
        checks.append({"goal": "2: ensemble >= 0.952, members trained in < 60 min", "accuracy": acc,
                       "members_wall_minutes": train_minutes, "met": bool(acc and acc >= 0.952 and train_minutes < 60)})
    for model in ("cnn-photo", "photo-ensemble"):
        parts = {p: rows.get(f"{model}-photos-{p}") for p in ("tune", "holdout", "all")}
        if parts["all"]:
            fm = rows.get(model, {}).get("test_accuracy")
            checks.append({"goal": f"3: {model} top-1 >= 0.70, top-3 >= 0.93 on the photos, >= 0.91 on Fashion-MNIST",
                           "photos": {p: (r.get("top1"), r.get("top3")) for p, r in parts.items() if r},
                           "fashion_mnist": fm,
                           "met": bool(parts["all"].get("top1", 0) >= 0.70 and parts["all"].get("top3", 0) >= 0.93 and (fm is None or fm >= 0.91))})
    return checks


def markdown(rows, checks):
    lines = ["| step | test accuracy | photos top-1 / top-3 | wall | CPU |", "| --- | ---: | ---: | ---: | ---: |"]
    for name, r in rows.items():
        acc = f"{r['test_accuracy']:.4f}" if "test_accuracy" in r else ""
        photo = f"{r['top1']:.3f} / {r['top3']:.3f} ({r.get('photos')})" if "top1" in r else ""
        wall = f"{r['wall_seconds'] / 60:.1f} min" if r.get("wall_seconds") else ""
        cpu = f"{r['cpu_seconds']:.0f} s" if r.get("cpu_seconds") else ""
        lines.append(f"| {name} | {acc} | {photo} | {wall} | {cpu} |")
    lines.append("")
    for c in checks:
        lines.append(f"- goal {c['goal']}: {'MET' if c['met'] else 'not met'} — " + json.dumps({k: v for k, v in c.items() if k not in ('goal', 'met')}))
    return "\n".join(lines) + "\n"


def main():
    out = sys.argv[1]
    rows = load(out)
    checks = goals(rows)
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump({"steps": rows, "goals": checks}, f, indent=2)
    text = markdown(rows, checks)
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
