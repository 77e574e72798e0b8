"""Renderers that turn core answers into files (pictures) for any face."""
