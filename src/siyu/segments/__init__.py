"""Segments: tags, the audience rule language, and segment membership."""
