"""``python -m convgrade`` is the ``grade`` command."""

from convgrade.cli.main import main

main()
