"""Python-Markdown's raw-HTML-block step, on the strict tokenizer of ``tokens``.

Python-Markdown takes raw HTML blocks out of a document before parsing the Markdown
(``HtmlBlockPreprocessor``): it runs its own patched copy of ``html.parser`` over the
whole document, and an ``HTMLExtractor`` decides from each event (and the event's line
and column) what is a raw block.  On mirror pages, whose bodies are hundreds of lines
of prettified HTML, that parser loop is most of the Markdown time.

:class:`FastHtmlBlockPreprocessor` feeds the *same* ``HTMLExtractor`` handlers the
same events at the same positions, found by ``tokens.scan`` instead of the parser
loop.  A document ``scan`` does not fully model goes through the original
preprocessor unchanged, so the result is the original's either way (``tests/
test_clean_markdown.py`` compares the two, and whole renderings, on every corpus).
"""

from __future__ import annotations

import re
from typing import Any

import markdown
from markdown.htmlparser import HTMLExtractor
from markdown.preprocessors import HtmlBlockPreprocessor

from . import tokens


class _Extractor(HTMLExtractor):
    """``HTMLExtractor`` driven by :meth:`replay` instead of ``feed``."""

    def replay(self, source: str, found: list[re.Match[str]]) -> None:
        """The events ``feed(source)`` would raise, with ``getpos()`` at each
        construct's start as ``html.parser`` has it then (the handlers read the
        line and column, and the raw text after the construct)."""
        self.rawdata = source
        pos = 0
        lineno, line_start = 1, 0
        for m in found:
            start = m.start()
            if start != pos:
                self.handle_data(source[pos:start])
            newlines = source.count("\n", pos, start)
            if newlines:
                lineno += newlines
                line_start = source.rfind("\n", pos, start) + 1
            self.lineno, self.offset = lineno, start - line_start
            k = m.lastindex
            if k == tokens.START:
                tag = m.group(1).lower()
                self.lasttag = tag
                # the private start-tag text that get_starttag_text() returns
                self._HTMLExtractor__starttag_text = m.group()
                if m.group(3):
                    self.handle_startendtag(tag, [])
                else:
                    self.handle_starttag(tag, [])
            elif k == tokens.END:
                self.handle_endtag(m.group(4).lower())
            elif k == tokens.COMMENT:
                self.handle_comment(m.group(5))
            elif k == tokens.ENTITY:
                self.handle_entityref(m.group(6))
            elif k == tokens.CHARREF:
                self.handle_charref(m.group(7))
            else:
                self.handle_data("&")
            end = m.end()
            newlines = source.count("\n", start, end)  # a start tag may span lines
            if newlines:
                lineno += newlines
                line_start = source.rfind("\n", start, end) + 1
            pos = end
        if pos < len(source):
            self.handle_data(source[pos:])
        # where html.parser leaves things after consuming the whole document
        newlines = source.count("\n", pos)
        if newlines:
            lineno += newlines
            line_start = source.rfind("\n", pos) + 1
        self.lineno, self.offset = lineno, len(source) - line_start
        self.rawdata = ""


class FastHtmlBlockPreprocessor(HtmlBlockPreprocessor):
    """``HtmlBlockPreprocessor`` with the parser loop replaced where ``tokens`` can."""

    def run(self, lines: list[str]) -> list[str]:
        source = "\n".join(lines)
        found = tokens.scan(source)
        if found is None:
            return super().run(lines)
        parser = _Extractor(self.md)
        parser.replay(source, found)
        parser.close()
        return "".join(parser.cleandoc).split("\n")


def fast_markdown(**kwargs: Any) -> markdown.Markdown:
    """A ``markdown.Markdown`` whose raw-HTML step is :class:`FastHtmlBlockPreprocessor`
    (same name and priority as the one it replaces)."""
    md = markdown.Markdown(**kwargs)
    md.preprocessors.register(FastHtmlBlockPreprocessor(md), "html_block", 20)
    return md
