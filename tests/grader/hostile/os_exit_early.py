"""Leaves with os._exit(0): no cleanup, no exception, no predictions."""

import os

os._exit(0)
