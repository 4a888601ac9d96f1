"""JSON Feed 1.1 beside the Atom file (``json_feed: true``): ``<topic>.json``.

Same stories, same ids (``tag:`` URIs from the story id), same content (the
representative's sanitized HTML plus the "Also reported by" paragraph) as the
Atom feed; dates come from the stories, never the wall clock, so an unchanged
topic renders the same bytes and the file is not rewritten.
"""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import urljoin

from ..config import Config, TopicConfig
from ..types import StoryView

VERSION = "https://jsonfeed.org/version/1.1"


def render_json_feed(config: Config, topic: TopicConfig, stories: list[StoryView]) -> bytes:
    from .atom import _label, also_reported, entry_id

    feed: dict[str, Any] = {
        "version": VERSION,
        "title": topic.title,
        "home_page_url": config.base_url,
        "feed_url": urljoin(config.base_url, f"{topic.id}.json"),
        "authors": [{"name": "feedhub"}],
    }
    if config.websub_hub:
        feed["hubs"] = [{"type": "WebSub", "url": config.websub_hub}]
    items = []
    for story in stories:  # newest first, as the Atom feed lists them
        rep = story.representative
        body = rep.html
        if rep.wire and rep.wire != rep.outlet:
            body += f"<p>Wire: {html.escape(rep.wire)}</p>"
        if story.others:
            body += also_reported(story.others)
        item: dict[str, Any] = {"id": entry_id(story.id), "title": rep.title}
        if rep.link:
            item["url"] = rep.link
        item["content_html"] = body
        if story.published:
            item["date_published"] = story.published.isoformat()
        updated = story.updated or story.published
        if updated:
            item["date_modified"] = updated.isoformat()
        item["authors"] = [{"name": rep.author or _label(rep)}]
        if rep.categories:
            item["tags"] = list(rep.categories)
        if rep.image:
            item["image"] = rep.image
        related = [
            {"url": o.link, "outlet": _label(o)}
            for o in story.others
            if o.link and o.link != rep.link
        ]
        if related:
            item["_feedhub"] = {"about": "https://github.com/feedhub/feedhub", "related": related}
        items.append(item)
    feed["items"] = items
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
