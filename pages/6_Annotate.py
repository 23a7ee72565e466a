"""Annotate: draft places, dates, events and claims from a pasted or uploaded text."""

from warlens.ui import annotate, shell

annotate.draw(shell.start("Annotate"))
