"""The reference back end's entry in the registry (explorer.core.registry): it loads the
spec itself (explore.check) and refuses the options it does not support."""

from __future__ import annotations

from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.registry import Backend
from mmcheck.explorer.reference.explore import check

# options the reference does not support, and how the command line spells them
UNSUPPORTED = {"fingerprint": "--fingerprint", "simulate": "--simulate", "coverage": "--coverage"}


def refuses(options: CheckOptions) -> str | None:
    for name, flag in UNSUPPORTED.items():
        if getattr(options, name):
            return f"the reference back end does not support {flag}"
    if options.workers not in (None, 1):
        return "the reference back end runs one worker"
    return None


BACKEND = Backend("reference", "the slow reference interpreter, for cross-checks", 2, check,
                  refuses, symmetry=False)
