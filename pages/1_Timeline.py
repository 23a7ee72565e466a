"""Timeline: when things happened, when they were claimed, and when they were reported."""

from warlens.ui import shell, timeline

timeline.draw(shell.start("Timeline"))
