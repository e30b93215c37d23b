"""The JSON documents of the verbs' `--json` and their JSON Schemas (draft 2020-12).

Each verb writes one document with a "format" naming it and its version: check, test,
prove and bmc. A document is the verb's result, or, where the verb could not run (a spec
error, a usage error, out of memory, interrupted before a result), the same "format"
and an "error" object. The schemas ship in the package (schemas/*.json); what they
share (ITF traces, violations, errors) is schemas/common.json, which `schema` embeds in
the one it returns, so that each is a whole schema on its own.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

# the "format" of each verb's document; a change a reader could trip on takes a new version
CHECK, TEST, PROVE, BMC = "mmcheck-check/2", "mmcheck-test/1", "mmcheck-prove/2", "mmcheck-bmc/2"
FORMATS = {"check": CHECK, "test": TEST, "prove": PROVE, "bmc": BMC}
COMMON = "common"


@cache
def _read(name: str) -> str:
    return resources.files(__package__).joinpath("schemas", f"{name}.json").read_text()


def schema(verb: str) -> dict[str, Any]:
    """The JSON Schema of the `--json` document of `verb` (check, test, prove or bmc),
    with the shared definitions embedded: a new dict each call."""
    if verb not in FORMATS:
        raise ValueError(f"no JSON format for {verb!r}: one of {', '.join(FORMATS)}")
    doc = json.loads(_read(verb))
    doc.setdefault("$defs", {})[COMMON] = json.loads(_read(COMMON))
    return doc
