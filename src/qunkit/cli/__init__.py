"""Command-line interface (filled in by cli modules)."""
