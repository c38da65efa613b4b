"""The ``grade`` command line: one module per command group, thin over the library.

:mod:`convgrade.cli.main` holds the group; each other module holds the commands of one job.
"""
