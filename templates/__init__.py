"""Jinja2 templates (shipped in the wheel): exercise prompts, per-format macro libraries, pages."""

from pathlib import Path

TEMPLATE_DIR = Path(__file__).parent
