"""Claims: who claims what, who denies it, side by side."""

from warlens.ui import claims, shell

claims.draw(shell.start("Claims"))
