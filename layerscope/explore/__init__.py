"""The interactive terminal explorer (Textual): reads the same result objects as the formats.

Nothing here is imported but by `layerscope explore`: Textual costs every other command its
import time."""
