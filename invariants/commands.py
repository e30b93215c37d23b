"""Verbs of the invariants package (see explorer.cli)."""

COMMANDS: dict = {}
