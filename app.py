"""warlens: the home page, the corpus at a glance."""

from warlens.ui import overview, shell

view = shell.start("Overview")
overview.draw(view)
