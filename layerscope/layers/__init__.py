"""Streaming layer reading: decompression, tar members, whiteouts, archive tar reading helpers."""
