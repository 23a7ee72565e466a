"""Article: the text itself, with every annotated sentence marked."""

from warlens.ui import reader, shell

reader.draw(shell.start("Article"))
