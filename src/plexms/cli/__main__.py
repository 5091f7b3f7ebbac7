"""``python -m plexms.cli``: the full command line (the console script is ``plexms``)."""

from plexms.cli import main

main()
