"""Python-Markdown on mirror pages, without its slow generic parts, with equal output.

Python-Markdown takes raw HTML blocks out of a document before parsing the Markdown
(``HtmlBlockPreprocessor``): it runs its own patched copy of ``html.parser`` over the
whole document, and an ``HTMLExtractor`` decides from each event (and the event's line
and column) what is a raw block.  On mirror pages, whose bodies are hundreds of lines
of prettified HTML, that loop is most of the Markdown time.  What is left after it is
usually nothing but the blocks' placeholders and blank lines (a page's Markdown lines
are nav and promo lines, which the line stage has dropped), and running the block
parser, the inline patterns and the serializer over that is the rest of the time.

Two shortcuts, each declining anything it does not model:

* :func:`extract` is ``HTMLExtractor``'s decisions, handler for handler, on the
  constructs ``tokens.scan`` found (the same ones, at the same positions, as the parser
  loop's);
* :class:`FastMarkdown` writes the serialized tree itself when every block is made of
  hash headers, rules and paragraphs of placeholder lines and text lines, where text
  is plain text with ``[text](url)`` links, inline HTML tags, comments, entities and
  hard line breaks in it and nothing else (mirror pages leave stray closing tags such
  as ``</div>``, bylines, nav lines and rules beside their raw blocks), then runs the
  real postprocessors.

``tests/test_clean_tokens.py`` compares whole renderings with plain Python-Markdown on
generated documents and on every corpus.
"""

from __future__ import annotations

import re

import markdown
from markdown import util
from markdown.blockprocessors import HashHeaderProcessor, HRProcessor, SetextHeaderProcessor
from markdown.htmlparser import blank_line_re, inner_blank_line_re, void_tags
from markdown.preprocessors import HtmlBlockPreprocessor
from markdown.serializers import _escape_cdata  # type: ignore[attr-defined]  # the serializer's own

from . import tokens


def extract(md: markdown.Markdown, source: str) -> list[str] | None:
    """``HtmlBlockPreprocessor.run`` on ``source`` (joined lines): the remaining lines,
    with the raw blocks stored in ``md.htmlStash``; None if ``tokens.scan`` declines.

    Each branch below is the ``HTMLExtractor`` handler of that event (named in its
    comment); the text they store is the construct's own source text, which is what
    ``get_starttag_text``/``get_endtag_text`` and the reference handlers rebuild.
    """
    found = tokens.scan(source)
    if found is None:
        return None
    block_level = frozenset(md.block_level_elements)
    store = md.htmlStash.store
    inraw = intail = False
    stack: list[str] = []
    inline_stack: list[str] = []
    cache: list[str] = []
    doc: list[str] = []

    def at_line_start(pos: int) -> bool:
        line = source.rfind("\n", 0, pos) + 1
        return pos - line <= 3 and not source[line:pos].strip()

    def empty_tag(data: str, pos: int, end: int, is_block: bool) -> None:
        # handle_empty_tag
        nonlocal intail
        if inraw or intail:
            cache.append(data)
        elif is_block and at_line_start(pos):
            if blank_line_re.match(source[end:]):
                data += "\n"
            else:
                intail = True
            item = doc[-1] if doc else ""
            if not item.endswith("\n\n") and item.endswith("\n"):
                doc.append("\n")
            doc.append(store(data))
            doc.append("\n\n")
        else:
            doc.append(data)

    pos = 0
    for data, stag, tag, _, slash, etag, end_name, comment, cdata, ref, _, _, amp in found:
        if data:
            # handle_data
            if intail and "\n" in data:
                intail = False
            if inraw:
                cache.append(data)
            else:
                if inner_blank_line_re.search(data):
                    inline_stack = []
                doc.append(data)
            pos += len(data)
        text = stag or etag or comment or ref or amp
        if not text:
            break  # the text after the last construct
        start = pos
        pos = end = start + len(text)
        if stag:
            tag = tag.lower()
            if slash or tag == "hr":  # handle_startendtag ("hr" is an "empty tag")
                empty_tag(text, start, end, tag in block_level)
                continue
            # handle_starttag
            if tag in block_level and (intail or (not inraw and at_line_start(start))):
                inraw = True
                doc.append("\n")
            if inraw:
                stack.append(tag)
                cache.append(text)
            else:
                doc.append(text)
                if tag not in block_level and tag not in void_tags:
                    inline_stack.append(tag)
        elif etag:
            # handle_endtag
            tag = end_name.lower()
            if inraw:
                cache.append(text)
                if tag in stack:
                    while stack:
                        if stack.pop() == tag:
                            break
                if not stack:
                    if blank_line_re.match(source[end:]):
                        cache.append("\n")
                    else:
                        intail = True
                    inraw = False
                    doc.append(store("".join(cache)))
                    doc.append("\n\n")
                    cache = []
            else:
                doc.append(text)
                if tag in inline_stack:
                    while inline_stack:
                        if inline_stack.pop() == tag:
                            break
        elif comment:
            # handle_comment
            is_block = bool(inner_blank_line_re.search(cdata)) or not _inline_close_follows(
                inline_stack, source, end
            )
            empty_tag(text, start, end, is_block)
        elif amp:
            # handle_data("&")
            if inraw:
                cache.append(text)
            else:
                doc.append(text)
        else:
            # handle_entityref / handle_charref
            empty_tag(text, start, end, False)
    # close()
    if cache:
        doc.append(store("".join(cache)))
    return "".join(doc).split("\n")


def _inline_close_follows(inline_stack: list[str], source: str, end: int) -> bool:
    """``HTMLExtractor.inline_close_follows`` for a comment ending at ``end``."""
    if not inline_stack:
        return False
    rest = inner_blank_line_re.split(source[end:], 1)[0]
    return any(re.search(rf"</\s*{re.escape(tag)}\s*>", rest, re.I) for tag in inline_stack)


class FastHtmlBlockPreprocessor(HtmlBlockPreprocessor):
    """``HtmlBlockPreprocessor`` through :func:`extract` where ``tokens`` models the
    document, the original otherwise."""

    def run(self, lines: list[str]) -> list[str]:
        out = extract(self.md, "\n".join(lines))
        return super().run(lines) if out is None else out


_PLACEHOLDER = re.compile(util.HTML_PLACEHOLDER % r"[0-9]+")
# A "[text](url)" line that no other inline pattern can touch: no markup, escape,
# emphasis, reference or entity characters in the text, nothing but URL characters in
# the URL, nothing around it.
_LINK = re.compile(r"\[([^\[\]\\`*_<>&!\x02\x03\n]+)\]\(([^\s()<>&\"'\\`\x02\x03]+)\)")
# The start of a line that a block processor other than ``ParagraphProcessor``,
# ``HashHeaderProcessor`` and ``HRProcessor`` may take (anywhere in a block, as some of
# them search the whole block): an indented code block (4 spaces), a setext underline,
# a list item, a quote; and an indented "#" (no header, but left alone).  Rule lines
# (which start with "-", "_" or "*") are let through.
_BLOCK_START = re.compile(r"[ ]{4}|[ ]+#|[ ]*(?:[>=*+_-]|[0-9]+\.)")
# What the inline patterns before ``html`` act on (code spans, escapes, links, images,
# references), and the delimiters of the emphasis patterns after ``entity``.
_TEXT_MARKUP = re.compile(r"[`\\\[\]]")
_DELIMITER = re.compile(r"[*_]")


def _paragraph(md: markdown.Markdown, block: str) -> str | None:
    """The serialized ``<p>`` Python-Markdown makes of ``block`` (no leading newline),
    or None if a line is anything but a placeholder, a single space, a ``[text](url)``
    line or a text line: plain text with inline HTML tags, comments and entities, and
    no other markup (no line of the block may start what another block processor takes).

    The inline patterns run one after the other over the paragraph's whole text (a link
    line is an inline placeholder by the time ``html`` runs): ``html`` stores every tag
    it finds, left to right, in ``md.htmlStash``, then ``entity`` every entity; the
    rest is text, which the serializer escapes (``_escape_cdata``), and the real
    postprocessors put the stored HTML back.
    """
    inner = _inline(md, block.lstrip())
    return None if inner is None else "<p>" + inner + "</p>"


def _inline(md: markdown.Markdown, text: str) -> str | None:
    """What the inline patterns and the serializer make of ``text`` (see
    :func:`_paragraph`), or None."""
    pieces: list[str] = []  # lines, with links as their own inline placeholders
    links: list[str] = []
    plain = True  # no text lines
    for line in text.split("\n"):
        if line == " " or _PLACEHOLDER.fullmatch(line):
            # one space before a newline is no line break (two are)
            pieces.append(line)
            continue
        link = _LINK.fullmatch(line)
        if link is not None:
            pieces.append(_link(link, links))
            continue
        if not line.strip():
            return None
        # links inside the line: the same [text](url) (``reference`` finds no
        # ``[id]`` after it, ``link`` takes it whole), not after a "!" (an image)
        line = _LINK_IN_TEXT.sub(lambda m: _link(m, links), line)
        if _TEXT_MARKUP.search(line):
            return None
        pieces.append(line)
        plain = False
    data = "\n".join(pieces)
    if plain:
        # placeholders, links and spaces only: no inline pattern to run
        return _put_links(data, links)
    patterns = md.inlinePatterns
    if patterns["autolink"].getCompiledRegExp().search(data) or patterns[
        "automail"
    ].getCompiledRegExp().search(data):
        return None
    # linebreak: a <br> element ("b"), before ``html`` runs
    rest = patterns["linebreak"].getCompiledRegExp().sub(_BR, data)
    stored: list[str] = []  # what ``html``, then ``entity``, store, in that order
    # ``rest``: with stored pieces as inline placeholders "s<index>"
    for name in ("html", "entity"):
        segments: list[str] = []
        pos = 0
        for m in patterns[name].getCompiledRegExp().finditer(rest):
            raw = m.group(1)
            if "\n" in raw or "\x02" in raw or "\x03" in raw:
                return None
            segments.append(rest[pos : m.start()])
            segments.append(util.INLINE_PLACEHOLDER % f"s{len(stored)}")
            stored.append(raw)
            pos = m.end()
        segments.append(rest[pos:])
        rest = "".join(segments)
    # emphasis delimiters left in the text (stored pieces and links are placeholders)
    if _DELIMITER.search(rest):
        return None
    placeholders = [md.htmlStash.store(raw) for raw in stored]
    out = _escape_cdata(rest)
    if _BR in out:
        # PrettifyTreeprocessor: a <br>'s tail (the text up to the next element)
        # becomes "\n" if it is blank, and gets a "\n" before it otherwise
        parts = _ELEMENT.split(out)
        for i in range(1, len(parts), 2):
            if parts[i] == _BR:
                parts[i] = "<br>"
                tail = parts[i + 1]
                parts[i + 1] = "\n" + tail if tail.strip() else "\n"
        out = "".join(parts)
    out = _STORED.sub(lambda m: placeholders[int(m.group(1))], out)
    return _put_links(out, links)


def _link(m: re.Match[str], links: list[str]) -> str:
    """An inline placeholder for the link ``m`` (a ``_LINK`` match), kept in ``links``."""
    links.append(f'<a href="{m.group(2)}">{m.group(1)}</a>')
    return util.INLINE_PLACEHOLDER % (len(links) - 1)


_LINK_IN_TEXT = re.compile(r"(?<!!)" + _LINK.pattern)
_BR = util.INLINE_PLACEHOLDER % "b"
_ELEMENT = re.compile("(" + util.INLINE_PLACEHOLDER % "(?:b|[0-9]+)" + ")")
_STORED = re.compile(util.INLINE_PLACEHOLDER % r"s([0-9]+)")
_LINKED = re.compile(util.INLINE_PLACEHOLDER % r"([0-9]+)")


def _put_links(text: str, links: list[str]) -> str:
    return _LINKED.sub(lambda m: links[int(m.group(1))], text) if links else text


def serialize_simple(md: markdown.Markdown, lines: list[str]) -> str | None:
    """What the block parser, tree processors and serializer make of the preprocessed
    ``lines`` (top-level tags stripped), when they hold only hash headers, rules and
    paragraphs of the lines :func:`_paragraph` models; None otherwise (``md.htmlStash``
    may then hold more).

    The block parser splits on blank lines and drops each block's leading newlines
    (``EmptyBlockProcessor``); :func:`_block` is the rest of the chain on a block; the
    prettifier puts one newline after each element.
    """
    out: list[str] = []
    for block in "\n".join(lines).split("\n\n"):
        block = block.lstrip("\n")
        if not block:
            continue
        if _PLACEHOLDER.fullmatch(block) or (
            block.startswith(" \n") and _PLACEHOLDER.fullmatch(block, 2)
        ):
            # the commonest block by far: a raw block's placeholder (what _block makes
            # of it, without the searches)
            out.append("<p>" + block.lstrip() + "</p>")
            continue
        # checked before a blank block is dropped: four spaces are a code block
        if any(_BLOCK_START.match(line) and not _HR.match(line) for line in block.split("\n")):
            return None
        if not _block(md, block, out):
            return None
    return "\n".join(out)


def _block(md: markdown.Markdown, block: str, out: list[str]) -> bool:
    """The block processors on ``block`` (no leading newline, no line that
    ``_BLOCK_START`` matches but a rule): the elements serialized into ``out``; False
    if one is not modelled."""
    if not block.strip():
        return True  # ParagraphProcessor drops a blank block
    # HashHeaderProcessor: the lines before the first header line are parsed as a block
    # of their own, the header's text (trailing "#"s and spaces off) is an h1-h6 of
    # inline text, the lines after it go back as the next block
    m = _HASH_HEADER.search(block) if "#" in block else None
    if m is not None:
        before, after = block[: m.start()], block[m.end() :]
        if before and not _block(md, before, out):
            return False
        header = m.group("header").strip()
        inner = _inline(md, header) if header else None
        if inner is None:
            return False
        level = len(m.group("level"))
        out.append(f"<h{level}>{inner}</h{level}>")
        return not after or _block(md, after, out)
    if _SETEXT.match(block):
        return False
    # HRProcessor: the same, around the first rule line
    m = _HR_SEARCH.search(block) if "-" in block or "_" in block or "*" in block else None
    if m is not None:
        before, after = block[: m.start()].rstrip("\n"), block[m.end() :].lstrip("\n")
        if before and not _block(md, before, out):
            return False
        out.append("<hr>")
        return not after or _block(md, after, out)
    p = _paragraph(md, block)
    if p is None:
        return False
    out.append(p)
    return True


_HASH_HEADER = HashHeaderProcessor.RE
_SETEXT = SetextHeaderProcessor.RE
_HR_SEARCH = HRProcessor.SEARCH_RE
_HR = re.compile(HRProcessor.RE)


class FastMarkdown(markdown.Markdown):
    """``markdown.Markdown`` with the shortcuts above (plain output, no extensions)."""

    def __init__(self) -> None:
        super().__init__(output_format="html")
        self.preprocessors.register(FastHtmlBlockPreprocessor(self), "html_block", 20)

    def convert(self, source: str) -> str:
        if not source.strip() or "\x02" in source or "\x03" in source:
            return super().convert(source)
        lines = source.split("\n")
        for prep in self.preprocessors:
            lines = prep.run(lines)
        output = serialize_simple(self, lines)
        if output is None:
            # not modelled: start again, the whole way through Python-Markdown
            return super(FastMarkdown, self.reset()).convert(source)
        for pp in self.postprocessors:
            output = pp.run(output)
        return output.strip()


def fast_markdown() -> FastMarkdown:
    return FastMarkdown()
