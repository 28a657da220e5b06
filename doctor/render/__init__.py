"""Renderers: turn a `Report` into text. They never run checks."""
