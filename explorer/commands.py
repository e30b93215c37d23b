"""Verbs of the explorer package (see explorer.cli)."""

COMMANDS: dict = {}
