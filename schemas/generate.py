"""Generate the JSON Schema files in ``schemas/json/`` from the models.

Run ``python -m schemas.generate`` after changing a model; a unit test fails
while the committed files are stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from schemas.events import Alert, DeadLetter, ListingEvent, OrderEvent

SCHEMA_DIR = Path(__file__).resolve().parent / "json"

# file name -> (model, mode): inputs are described as they are validated,
# outputs as they are serialised.
_MODELS: dict[str, tuple[type[BaseModel], str]] = {
    "listing_event.json": (ListingEvent, "validation"),
    "order_event.json": (OrderEvent, "validation"),
    "alert.json": (Alert, "serialization"),
    "dead_letter.json": (DeadLetter, "serialization"),
}


def render_schemas() -> dict[str, str]:
    """Return the text of every schema file, keyed by file name."""
    rendered: dict[str, str] = {}
    for name, (model, mode) in _MODELS.items():
        schema = model.model_json_schema(mode=mode)  # type: ignore[arg-type]
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        rendered[name] = json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return rendered


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Write every schema file into ``directory`` and return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_schemas().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main() -> int:
    """Entry point of ``python -m schemas.generate``."""
    for path in write_schemas():
        sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
