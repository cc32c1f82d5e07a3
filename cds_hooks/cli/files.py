"""argparse types for the files a command reads. A FIFO would block the command until some
other process writes to it, and a device such as /dev/zero never ends: neither is a file a
command should read, so both are refused with a one-line error before anything runs. A path
that does not exist passes: the command says so in its own words."""

from __future__ import annotations

import argparse
import stat
from pathlib import Path


def input_file(text: str) -> Path:
    """A regular file (or a path not there: the command reports it), or "-" where a command
    reads standard input."""
    return _checked(text, folders=False)


def input_file_or_folder(text: str) -> Path:
    return _checked(text, folders=True)


def _checked(text: str, folders: bool) -> Path:
    path = Path(text)
    if text == "-":
        return path
    try:
        mode = path.stat().st_mode
    except OSError:
        return path
    if stat.S_ISREG(mode) or (folders and stat.S_ISDIR(mode)):
        return path
    kind = "a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) \
        else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file"
    raise argparse.ArgumentTypeError(f"{text} is {kind}; give a regular file")
