"""Widgets of the textgen app (each carries its own DEFAULT_CSS)."""
