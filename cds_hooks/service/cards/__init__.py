"""Findings as cards: the envelope in renderer.py, each family of findings in its own module."""
