"""One module per command: validated options -> a result object -> rendered output.

Only the dispatcher (layerscope.cli) imports a command module; the shared pieces every command
that reads images uses live in `reading`."""
