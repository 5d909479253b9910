"""`python -m valuestory.cli`: the command line.

Guarded, because the speech worker processes are spawned and import the main module again: they
must not start a second bot.
"""

from valuestory.cli import main

if __name__ == "__main__":
    main()
