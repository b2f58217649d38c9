"""Image sources, one module per transport, all behind the ImageSource protocol."""
