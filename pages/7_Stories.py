"""Stories: one real-world event as every outlet and side reported it, side by side."""

from warlens.ui import shell, stories

stories.draw(shell.start("Stories"))
