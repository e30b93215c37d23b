"""Verbs of the spec package (see explorer.cli)."""

COMMANDS: dict = {}
