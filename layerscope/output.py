"""Writing reports: stdout as bytes in its own encoding, or a file replaced atomically.

Kept apart from the commands so replay (which runs before any command is imported) and every
command write the same bytes the same way."""

from __future__ import annotations

import errno
import os
import stat
import sys

from .errors import FormatError


def stdout_encoding() -> str:
    """What reports are encoded in for stdout."""
    return getattr(sys.stdout, "encoding", None) or "utf-8"


def stdout_bytes(text: str) -> bytes:
    """The bytes write_report puts on stdout for text."""
    return encode(text, stdout_encoding())


def write_stdout(data: bytes) -> None:
    """Report bytes to stdout: straight to its buffer, or decoded again where it has none.

    A reader that went away (`| head`, `| true`) is not an error and not a verdict: the rest of
    the report is dropped and the command ends with its own exit code. A closed stdout or a
    full disk is an operational error (exit 2) that names the cause."""
    stream = sys.stdout
    if stream is None:  # started with stdout closed (>&-)
        raise FormatError("cannot write the report: standard output is closed",
                          hint="redirect standard output, or give --output FILE")
    try:
        if hasattr(stream, "buffer"):
            stream.flush()
            stream.buffer.write(data)
            stream.buffer.flush()
        else:
            stream.write(data.decode(stdout_encoding(), "surrogateescape"))
            stream.flush()
    except BrokenPipeError:
        _discard_stdout()
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or error
        raise FormatError(f"cannot write the report to standard output: {reason}",
                          hint="free some space, or give --output FILE elsewhere"
                          if getattr(error, "errno", None) == errno.ENOSPC else None) from error


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so what is still buffered (and the flush at exit) goes
    nowhere instead of raising the broken pipe again."""
    # try/except, not contextlib.suppress: contextlib's imports cost a replayed run a tenth
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def check_writable(output: str) -> None:
    """Fail now, before an image is read, when FILE cannot be written: its directory is
    missing or not writable, or FILE is a directory."""
    if os.path.isdir(output):
        raise FormatError(f"cannot write {output}: it is a directory")
    if os.path.exists(output) and not os.path.isfile(output):
        return  # a device or a pipe: written into, not replaced
    directory = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(directory):
        raise FormatError(f"cannot write {output}: no such directory {directory}")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise FormatError(f"cannot write {output}: its directory is not writable (the report "
                          "replaces it through a temporary file beside it)")


def write_report(text: str, output: str | None) -> None:
    """Write to stdout, or to FILE: a regular file is replaced atomically (keeping its mode) so
    no half-written report is ever left; a device or pipe is written into."""
    if output is None:
        write_stdout(stdout_bytes(text))
        return
    data = encode(text, "utf-8")
    try:
        existing = os.stat(output)
    except FileNotFoundError:
        existing = None
    except OSError as error:
        raise FormatError(f"cannot write {output}: {error.strerror or error}") from error
    try:
        if existing is not None and not stat.S_ISREG(existing.st_mode):
            # a device, a pipe, /dev/stdout: nothing to replace, and renaming over it would
            # swap /dev/null itself for a file; write into it
            with open(output, "wb") as stream:
                stream.write(data)
            return
        _replace_atomically(output, data, None if existing is None else existing.st_mode)
    except OSError as error:
        raise FormatError(f"cannot write {output}: {error.strerror or error}") from error


def _replace_atomically(output: str, data: bytes, mode: int | None) -> None:
    import tempfile  # here, not at the top: every run imports this module, a replayed one too

    handle, temporary = tempfile.mkstemp(prefix=".layerscope-",
                                         dir=os.path.dirname(os.path.abspath(output)))
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, stat.S_IMODE(mode) if mode is not None else _new_file_mode())
        os.replace(temporary, output)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _new_file_mode() -> int:
    """What open() would give a new file: 0666 less the umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def encode(text: str, encoding: str) -> bytes:
    """Report text as bytes. Names that were not UTF-8 in the image (kept as surrogate escapes)
    go out as their original bytes, as ls prints them; any other unencodable character (a lone
    surrogate from a config's JSON) as a backslash escape, never as a crash."""
    try:
        return text.encode(encoding, "surrogateescape")
    except UnicodeEncodeError:
        return text.encode(encoding, "backslashreplace")


BY_EXTENSION = {".html": "html", ".htm": "html"}
"""The format a plain `--output FILE` picks from FILE's extension when --format is not given."""


def plan_outputs(formats, fmt: str | None, outputs) -> list[tuple[str, str | None]]:
    """(format, file or None for stdout) pairs from --format and the --output values (FILE, or
    FORMAT=FILE beside it, repeatable); `formats` are the command's format names. Without
    --format, a plain FILE's extension picks the format (report.html: html), else text."""
    from .errors import UsageError

    plain, extra = [], []
    for output in outputs or []:
        name, equals, path = output.partition("=")
        if equals and name in formats:
            if not path:
                raise UsageError(f"--output {output}: no file after '='",
                                 hint="write --output FORMAT=FILE, e.g. --output html=report.html")
            extra.append((name, None if path == "-" else path))
        elif equals and "/" not in name and "." not in name:
            raise UsageError(f"--output {output}: unknown format {name!r}",
                             hint="choose from " + ", ".join(formats))
        else:
            plain.append(output)
    if len(plain) > 1:
        raise UsageError("--output FILE given more than once",
                         hint="repeat --output only as FORMAT=FILE, e.g. -o json=report.json")
    path = None if not plain or plain[0] == "-" else plain[0]
    if fmt is None:
        extension = os.path.splitext(path or "")[1].lower()
        fmt = BY_EXTENSION.get(extension) if BY_EXTENSION.get(extension) in formats else "text"
    planned = [(fmt, path), *extra]
    if sum(1 for _, target in planned if target is None) > 1:
        raise UsageError("more than one report would go to stdout",
                         hint="give a file to all but one: --output FORMAT=FILE")
    return planned
