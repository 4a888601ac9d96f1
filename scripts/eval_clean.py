"""Measure how much labelled boilerplate feedhub's cleaner removes and how much body it keeps.

Usage: ``python scripts/eval_clean.py [--corpus PATH] [--verbose]``

Reads ``labels/boilerplate.tsv`` under the corpus (columns ``file``, ``kind``, ``text``;
``file`` relative to the corpus; ``kind`` is ``remove`` or ``keep``; ``text`` is one source
line, an exact substring of the file), cleans every labelled file with feedhub, and scores:

* a ``remove`` row is *removed* when none of its evidence survives in the cleaned article
  (its html or its text).  Evidence is (a) the visible text runs of the row (tags, Markdown
  link syntax and URLs stripped, split at punctuation and tag boundaries, at least 4
  characters) that occur nowhere in the page once all the file's ``remove`` rows are cut
  out of it, (b) the URLs it carries (``href``/``src`` values and bare http(s) URLs,
  html-unescaped), and (c) for a bare opening tag, its ``id`` and ``class`` values.  Text
  runs survive whitespace-insensitively; URLs survive when they appear not followed by
  more URL characters (so ``https://a.com`` is not found inside ``https://a.com/x``).
  A row with no evidence counts as removed (``--verbose`` lists such rows).
* a ``keep`` row is *kept* when its text, tags stripped and all whitespace removed, is a
  substring of the cleaned text with all whitespace removed.

The same two figures are printed for trafilatura (``trafilatura.extract`` of the page
rendered to HTML with ``markdown.markdown``, ``output_format="txt"``) and, when installed,
readability-lxml.  The last line is always::

    feedhub: boilerplate removed R%, body kept K% | trafilatura: removed R%, kept K%

Exit code 0 whatever the figures (this is a measurement); 2 when an input is missing.
"""

from __future__ import annotations

import argparse
import html as htmllib
import importlib.util
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora"
LABELS = Path("labels") / "boilerplate.tsv"
MIN_RUN = 4

# (html, text) of one cleaned page.
Output = tuple[str, str]
# A cleaner over a whole corpus: the labelled files in, one (html, text) per file out.
CorpusCleaner = Callable[[list[Path]], dict[Path, Output]]

_COMMENT = re.compile(r"<!--.*?-->", re.S)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_MD_IMAGE = re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)")
_MD_LINK = re.compile(r"\[([^\]\n]*)\]\([^)\n]*\)")
_BARE_URL = re.compile(r"https?://[^\s\"'<>()\[\]]+")
_URL_ATTR = re.compile(r"""\b(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'<>`=]+))""", re.I)
_NAME_ATTR = re.compile(r"""\b(id|class)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'<>`=]+))""", re.I)
_BARE_TAG = re.compile(r"\A\s*<[A-Za-z][\w:-]*(?:\s[^<>]*)?/?>\s*\Z", re.S)
# Runs are split at anything that is neither a word character nor whitespace
# (punctuation, CJK punctuation, symbols, emoji) and at tag/link/line boundaries.
_RUN_SPLIT = re.compile(r"[^\w\s]+|\n")
_SPACE = re.compile(r"\s+")
# A character that would continue a URL: a URL "survives" only where it is not followed by one.
_URL_CONT = r"[^\s\"'<>()\[\]]"

OUTLETS = {"nsc": "epochtimes", "nf": "epochtimes", "prog": "ntdtv", "soh": "soundofhope"}


# ---------------------------------------------------------------- labels


@dataclass(frozen=True)
class Row:
    """One labelled line: ``kind`` is ``remove`` or ``keep``; ``line`` is its TSV line."""

    file: str
    kind: str
    text: str
    line: int = 0


def read_labels(path: Path) -> dict[str, list[Row]]:
    """Rows of a boilerplate.tsv grouped by file, in file order (header line skipped).

    Raises:
        ValueError: a line with fewer than three columns or an unknown kind.
    """
    by_file: dict[str, list[Row]] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if number == 1 and line.startswith("file\t"):
            continue
        if not line.strip():
            continue
        parts = line.split("\t", 2)
        if len(parts) != 3 or parts[1] not in ("remove", "keep"):
            raise ValueError(f"{path}:{number}: expected file<TAB>remove|keep<TAB>text")
        row = Row(parts[0], parts[1], parts[2].strip(), number)
        by_file.setdefault(row.file, []).append(row)
    return by_file


# ---------------------------------------------------------------- evidence


def squash(text: str) -> str:
    """``text`` without any whitespace (``&nbsp;`` included once unescaped)."""
    return _SPACE.sub("", text)


def visible_text(fragment: str) -> str:
    """What a reader sees of a raw Markdown/HTML fragment: tags, Markdown link syntax and
    URLs dropped (URLs are evidence of their own), entities unescaped.  Each tag, link
    and URL becomes a line break, so text on either side of it never joins into one run."""
    text = _COMMENT.sub("\n", fragment)
    text = _MD_IMAGE.sub(lambda m: f"\n{m.group(1)}\n", text)
    text = _MD_LINK.sub(lambda m: f"\n{m.group(1)}\n", text)
    text = _TAG.sub("\n", text)
    text = htmllib.unescape(text)
    return _BARE_URL.sub("\n", text)


def text_runs(fragment: str, min_len: int = MIN_RUN) -> list[str]:
    """Visible text runs of ``fragment`` with at least ``min_len`` non-space characters."""
    runs: list[str] = []
    for piece in _RUN_SPLIT.split(visible_text(fragment)):
        run = " ".join(piece.split())
        if len(squash(run)) >= min_len and run not in runs:
            runs.append(run)
    return runs


def _value(m: re.Match[str], first: int) -> str:
    value = next((v for v in m.groups()[first:] if v is not None), "")
    return htmllib.unescape(value).strip()


def row_urls(fragment: str) -> list[str]:
    """URLs a fragment carries: href/src values and bare http(s) URLs, html-unescaped."""
    found = [_value(m, 0) for m in _URL_ATTR.finditer(fragment)]
    found += [htmllib.unescape(m.group(0)) for m in _BARE_URL.finditer(fragment)]
    urls: list[str] = []
    for url in found:
        if url and not url.startswith(("#", "javascript:", "data:")) and url not in urls:
            urls.append(url)
    return urls


def bare_tag_names(fragment: str) -> list[str]:
    """The id value and class tokens of a row that is only an opening (or void) tag with
    no visible text; [] for any other row."""
    if not _BARE_TAG.match(fragment) or squash(visible_text(fragment)):
        return []
    names: list[str] = []
    for m in _NAME_ATTR.finditer(fragment):
        value = _value(m, 1)
        for name in value.split() if m.group(1).lower() == "class" else [value]:
            if name and name not in names:
                names.append(name)
    return names


@dataclass(frozen=True)
class Evidence:
    """What would show that a remove row survived cleaning."""

    runs: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    # Runs of the row left out because the page has them outside its labelled lines.
    shared_runs: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.runs or self.urls or self.names)


def outside_labels(page: str, remove_texts: Iterable[str]) -> str:
    """``page`` with every occurrence of every labelled remove line cut out."""
    for text in sorted(set(remove_texts), key=len, reverse=True):
        if text:
            page = page.replace(text, "\n")
    return page


def remove_evidence(row_text: str, page: str, remove_texts: Iterable[str]) -> Evidence:
    """Evidence of one remove row of ``page`` whose labelled remove lines are
    ``remove_texts``: its text runs that appear nowhere else in the page (raw or visible
    text, whitespace-insensitive), its URLs, and, for a bare tag, its id/class values."""
    rest = outside_labels(page, list(remove_texts) + [row_text])
    elsewhere = (squash(rest), squash(visible_text(rest)))
    runs: list[str] = []
    shared: list[str] = []
    for run in text_runs(row_text):
        (shared if any(squash(run) in hay for hay in elsewhere) else runs).append(run)
    return Evidence(
        tuple(runs), tuple(row_urls(row_text)), tuple(bare_tag_names(row_text)), tuple(shared)
    )


def _norm_markup(text: str) -> str:
    unescaped = htmllib.unescape(text)
    return unescaped + "\n" + unquote(unescaped)


def url_in(url: str, haystack: str) -> bool:
    """Is ``url`` in ``haystack`` (already unescaped), not followed by more URL characters?
    Percent-encoded and decoded spellings of the URL are both looked for."""
    for form in dict.fromkeys((url, unquote(url))):
        if re.search(re.escape(form) + f"(?!{_URL_CONT})", haystack):
            return True
    return False


def surviving(evidence: Evidence, html: str, text: str) -> list[str]:
    """The pieces of ``evidence`` found in a cleaned article's html or text."""
    markup = _norm_markup(html) + "\n" + _norm_markup(text)
    flat = [squash(htmllib.unescape(html)), squash(visible_text(html)), squash(text)]
    found = [f"text {run!r}" for run in evidence.runs if any(squash(run) in h for h in flat)]
    found += [f"url {url!r}" for url in evidence.urls if url_in(url, markup)]
    found += [f"id/class {name!r}" for name in evidence.names if name in markup]
    return found


def is_kept(row_text: str, text: str) -> bool:
    """Is a keep row's text (tags stripped) in the cleaned text, ignoring all whitespace?"""
    want = squash(htmllib.unescape(_TAG.sub("", row_text)))
    return want in squash(text)


# ---------------------------------------------------------------- scoring


@dataclass(frozen=True)
class RowResult:
    row: Row
    ok: bool  # removed (remove rows) or kept (keep rows)
    evidence: Evidence = field(default_factory=Evidence)
    found: tuple[str, ...] = ()


@dataclass
class Score:
    name: str
    results: list[RowResult] = field(default_factory=list)

    def _count(self, kind: str) -> tuple[int, int]:
        rows = [r for r in self.results if r.row.kind == kind]
        return sum(r.ok for r in rows), len(rows)

    @property
    def removed(self) -> tuple[int, int]:
        return self._count("remove")

    @property
    def kept(self) -> tuple[int, int]:
        return self._count("keep")

    @staticmethod
    def pct(counts: tuple[int, int]) -> str:
        done, total = counts
        return f"{100.0 * done / total:.1f}%" if total else "n/a"

    @property
    def failures(self) -> list[RowResult]:
        return [r for r in self.results if not r.ok]


def score_file(page: str, rows: Sequence[Row], output: Output) -> list[RowResult]:
    """Score every labelled row of one page against its cleaned (html, text)."""
    html, text = output
    remove_texts = [r.text for r in rows if r.kind == "remove"]
    results: list[RowResult] = []
    for row in rows:
        if row.kind == "keep":
            results.append(RowResult(row, is_kept(row.text, text)))
            continue
        evidence = remove_evidence(row.text, page, remove_texts)
        found = tuple(surviving(evidence, html, text))
        results.append(RowResult(row, not found, evidence, found))
    return results


def score(
    name: str, labels: dict[str, list[Row]], corpus: Path, outputs: dict[Path, Output]
) -> Score:
    result = Score(name)
    for file, rows in labels.items():
        path = corpus / file
        page = path.read_text(encoding="utf-8-sig")
        result.results.extend(score_file(page, rows, outputs[path]))
    return result


# ---------------------------------------------------------------- cleaners


def source_id_for(path: Path) -> str:
    """A stable source id from the article's folder (``prog204`` → ``ntdtv``)."""
    folder = path.parent.name
    for prefix, outlet in OUTLETS.items():
        if folder.startswith(prefix):
            return outlet
    if re.fullmatch(r"p\d+", folder):
        return "secretchina"
    return "corpus"


def clean_corpus(files: list[Path]) -> dict[Path, Output]:
    """feedhub's (html, text) for each file, cleaned as ``feedhub clean`` does: the other
    articles of each file's folder stand in for its source's recent articles, so
    boilerplate is learned from them (rules first, then learned repeats)."""
    from feedhub.pipeline import clean_files

    return {path: (article.html, article.text) for path, (article, _) in clean_files(files).items()}


def page_html(path: Path) -> str:
    """The page rendered to HTML the way feedhub renders it (Markdown → HTML)."""
    import markdown

    from feedhub.collect.local import read_article

    raw = read_article(path, source_id=source_id_for(path), key=path.name)
    return markdown.markdown(raw.content, output_format="html")


def trafilatura_corpus(files: list[Path]) -> dict[Path, Output]:
    """trafilatura's plain-text extraction; the same text stands for html and text."""
    import trafilatura  # type: ignore[import-not-found,unused-ignore]

    out: dict[Path, Output] = {}
    for path in files:
        text = trafilatura.extract(page_html(path), output_format="txt") or ""
        out[path] = (text, text)
    return out


def readability_corpus(files: list[Path]) -> dict[Path, Output]:
    """readability-lxml's summary html and its text."""
    from readability import Document  # type: ignore[import-untyped,import-not-found,unused-ignore]

    from feedhub.clean.sanitize import html_to_text

    out: dict[Path, Output] = {}
    for path in files:
        summary = Document(page_html(path)).summary(html_partial=True)
        out[path] = (summary, html_to_text(summary))
    return out


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


# ---------------------------------------------------------------- report


def excerpt(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def print_failures(result: Score, verbose: bool) -> None:
    if not verbose:
        return
    failures = result.failures
    print(f"{result.name}: {len(failures)} failing row(s)")
    current = None
    for r in failures:
        if r.row.file != current:
            current = r.row.file
            print(f"  {current}")
        what = "not removed" if r.row.kind == "remove" else "not kept"
        print(f"    line {r.row.line} {r.row.kind} {what}: {excerpt(r.row.text)!r}")
        if r.found:
            print(f"      surviving: {', '.join(r.found)}")


def print_no_evidence(result: Score) -> None:
    empty = [r for r in result.results if r.row.kind == "remove" and not r.evidence]
    print(f"remove rows with no evidence (counted as removed): {len(empty)}")
    for r in empty:
        note = f" (its text is also outside the labels: {', '.join(r.evidence.shared_runs)})"
        print(f"  line {r.row.line} {r.row.file}: {excerpt(r.row.text)!r}", end="")
        print(note if r.evidence.shared_runs else "")


def summary_line(result: Score) -> str:
    (rd, rt), (kd, kt) = result.removed, result.kept
    return (
        f"{result.name}: removed {rd}/{rt} ({Score.pct(result.removed)}), "
        f"kept {kd}/{kt} ({Score.pct(result.kept)})"
    )


def last_line(feedhub: Score, trafilatura: Score | None) -> str:
    if trafilatura is None:
        t_removed = t_kept = "n/a"
    else:
        t_removed, t_kept = Score.pct(trafilatura.removed), Score.pct(trafilatura.kept)
    return (
        f"feedhub: boilerplate removed {Score.pct(feedhub.removed)}, "
        f"body kept {Score.pct(feedhub.kept)} | "
        f"trafilatura: removed {t_removed}, kept {t_kept}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="eval_clean.py",
        description="Score feedhub's boilerplate removal against labels/boilerplate.tsv.",
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_CORPUS,
        help=f"the corpora folder (default: {DEFAULT_CORPUS})",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="list every failing row with the evidence that survived",
    )
    args = parser.parse_args(argv)
    corpus: Path = args.corpus
    labels_path = corpus / LABELS
    if not labels_path.is_file():
        print(f"eval_clean: labels file not found: {labels_path}", file=sys.stderr)
        return 2
    try:
        labels = read_labels(labels_path)
    except ValueError as exc:
        print(f"eval_clean: {exc}", file=sys.stderr)
        return 2
    files = [corpus / f for f in labels]
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        print(f"eval_clean: labelled file(s) not found: {', '.join(missing)}", file=sys.stderr)
        return 2

    from feedhub.errors import ParseError

    tools: list[tuple[str, CorpusCleaner]] = [("feedhub", clean_corpus)]
    if installed("trafilatura"):
        tools.append(("trafilatura", trafilatura_corpus))
    if installed("readability"):
        tools.append(("readability-lxml", readability_corpus))
    try:
        results = [score(name, labels, corpus, cleaner(files)) for name, cleaner in tools]
    except ParseError as exc:
        print(f"eval_clean: {exc.message}", file=sys.stderr)
        return 2
    by_name = {r.name: r for r in results}
    feedhub, trafilatura = by_name["feedhub"], by_name.get("trafilatura")

    n_remove, n_keep = feedhub.removed[1], feedhub.kept[1]
    print(f"{len(labels)} files, {n_remove} remove rows, {n_keep} keep rows ({labels_path})")
    if args.verbose:
        print_no_evidence(feedhub)
    for result in results:
        print_failures(result, args.verbose)
    for result in results:
        print(summary_line(result))
    if trafilatura is None:
        print("trafilatura: not installed")
    print(last_line(feedhub, trafilatura))
    return 0


if __name__ == "__main__":
    sys.exit(main())
