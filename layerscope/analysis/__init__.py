"""Analysis: the merged path index, attribution of every byte, waste and comparison."""
