"""``python -m cli``: the ``kiemen`` command."""

from cli.main import main

main()
