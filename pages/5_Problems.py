"""Problems: everything in the data files that could not be loaded as written."""

from warlens.ui import problems, shell

problems.draw(shell.start("Problems"))
