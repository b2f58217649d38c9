"""Renderers of result objects: one module per output format, chosen through the registry."""
