"""One module per group of `grade` subcommands, imported only when that subcommand runs."""
