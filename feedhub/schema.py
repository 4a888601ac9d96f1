"""``feedhub config-schema``: the JSON Schema of ``feedhub.yaml``.

pydantic's schema of :class:`~feedhub.config.Config`, minus the internal
``root`` field, with durations widened: they accept a number of seconds or a
string with a unit (``90s``, ``15m``, ``2h``, ``3d``), which pydantic cannot
see through the ``mode="before"`` validators.
"""

from __future__ import annotations

from typing import Any

from .config import _DURATION, Config

# model name in $defs ("Config" for the top level) → its duration fields
DURATIONS = {
    "SourceConfig": ("interval",),
    "DedupeConfig": ("window",),
    "ScheduleConfig": ("max_backoff", "max_cache_delay"),
}


def config_schema() -> dict[str, Any]:
    schema = Config.model_json_schema()
    schema["properties"].pop("root", None)
    if "required" in schema:
        schema["required"] = [r for r in schema["required"] if r != "root"]
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    defs = schema.get("$defs", {})
    for model, names in DURATIONS.items():
        target = schema if model == "Config" else defs.get(model)
        if not target:
            continue
        for name in names:
            prop = target["properties"].get(name)
            if prop is None:
                continue
            extra = {k: v for k, v in prop.items() if k in ("title", "default", "description")}
            target["properties"][name] = {
                **extra,
                "anyOf": [
                    {"type": "number", "exclusiveMinimum": 0},
                    {"type": "string", "pattern": _DURATION.pattern},
                ],
            }
    return schema
