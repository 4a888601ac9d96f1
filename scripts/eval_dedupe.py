#!/usr/bin/env python3
"""Evaluate feedhub's duplicate decision on labelled pairs.

Usage: python scripts/eval_dedupe.py [--pairs FILE] [--corpus DIR] [--features]

Reads ``labels/pairs.tsv`` (file_a, file_b, label, note) under the corpus
(default ``../shared/corpora``): ``near`` and ``dup`` are positives,
``different`` negatives.  Each file is cleaned the way ``feedhub clean`` does
(boilerplate learned from the other files of its folder), then the two
articles go through the same decision the pipeline uses.  Prints every error
and, last, ``precision P recall R f1 F``.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from feedhub.cli import compare_files  # noqa: E402
from feedhub.config import DedupeConfig  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--pairs", type=Path, help="default: CORPUS/labels/pairs.tsv")
    parser.add_argument("--features", action="store_true", help="print every pair's signals")
    args = parser.parse_args(argv)
    pairs_file = args.pairs or args.corpus / "labels" / "pairs.tsv"
    if not pairs_file.is_file():
        print(f"error: {pairs_file} not found", file=sys.stderr)
        return 2
    with pairs_file.open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t")]
    pairs = [(args.corpus / r["file_a"], args.corpus / r["file_b"]) for r in rows]
    results = compare_files(pairs, DedupeConfig())
    tp = fp = fn = tn = 0
    errors: list[str] = []
    for r, res in zip(rows, results, strict=True):
        if "error" in res:
            print(f"error: {res['error']}", file=sys.stderr)
            return 2
        dup = bool(res["duplicate"])
        signals = (
            f"distance {res['distance']}, overlap {res['overlap']}, "
            f"cosine {res['cosine']}, headline {res['headline_similarity']} → {res['rule']}"
        )
        positive = r["label"] in ("near", "dup")
        if args.features:
            print(f"{r['label']:9} {dup!s:5} {signals}  # {r['note']}")
        if dup and positive:
            tp += 1
        elif dup:
            fp += 1
            errors.append(f"FALSE MERGE  {r['file_a']} {r['file_b']} ({r['note']}): {signals}")
        elif positive:
            fn += 1
            errors.append(
                f"MISSED {r['label']:4}  {r['file_a']} {r['file_b']} ({r['note']}): {signals}"
            )
        else:
            tn += 1
    for e in errors:
        print(e)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(f"pairs {len(rows)}: tp {tp} fp {fp} fn {fn} tn {tn}")
    print(f"precision {precision:.3f} recall {recall:.3f} f1 {f1:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
