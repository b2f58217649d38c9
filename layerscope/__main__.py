"""The one error boundary: every LayerscopeError becomes one line on stderr and exit code 2."""

from __future__ import annotations

import gc
import os
import sys

EXIT_ERROR = 2


def _fail(message: str, hint: str | None) -> int:
    sys.stderr.write(f"layerscope: error: {message}\n")
    if hint:
        sys.stderr.write(f"hint: {hint}\n")
    return EXIT_ERROR


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 a check failed, 2 an error)."""
    # A run builds millions of small objects and frees them only at exit; the cyclic collector
    # would rescan them all again and again (a third of the time on a million-file image) to
    # find the few cycles a run makes. One process, one report: leave them to the exit.
    gc.disable()
    from .errors import LayerscopeError
    from .fingerprint import RunFingerprint
    from .output import write_stdout
    from .replay import replay_key, stored_output

    arguments = sys.argv[1:] if argv is None else argv
    debug = "--debug" in arguments
    try:
        if not arguments:
            # as dive and docker do: a bare command is a request for the help
            from .cli import build_parser
            from .output import stdout_bytes

            write_stdout(stdout_bytes(build_parser("").format_help()))
            return 0
        fingerprint = RunFingerprint()
        pending = replay_key(arguments, fingerprint)
        stored = None if pending is None else stored_output(pending)
        if stored is not None:
            write_stdout(stored)
            return 0
        from .cli import build_parser

        # the global options take no value, so the first other word names the command ("" for
        # none: --version and --help need no command's flags)
        command = next((word for word in arguments if not word.startswith("-")), "")
        args = build_parser(command).parse_args(arguments)
        args.replay_key = pending
        args.code_fingerprint = fingerprint
        return args.handler(args)
    except LayerscopeError as error:
        if debug:
            raise
        return _fail(error.message, error.hint)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # stderr's reader went away (stdout's is handled where the report is written): nothing
        # left to say anything on
        return EXIT_ERROR
    except MemoryError:
        return _fail("out of memory while reading the image", "try a machine with more memory")
    except Exception as error:
        if debug:
            raise
        return _fail(f"internal error: {type(error).__name__}: {error}",
                     "this is a bug in layerscope; run again with --debug and report it")


def run() -> None:
    """The console script: main(), then leave without tearing the heap down.

    Freeing a million-file index object by object takes half a second the user only waits
    for; the report is written and the caches are renamed into place before main returns."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a reader gone or a stream closed: the code stands
            pass
    os._exit(code)


if __name__ == "__main__":
    run()
