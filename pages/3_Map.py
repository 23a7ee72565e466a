"""Map: where it happened, drawn with the precision it is known to."""

from warlens.ui import mapview, shell

mapview.draw(shell.start("Map"))
