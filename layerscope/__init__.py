"""layerscope: explains where the bytes of a container image went."""

__version__ = "0.1.0"
