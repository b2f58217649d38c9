"""Streaming layer reading: decompression, tar members, whiteouts, history alignment."""
