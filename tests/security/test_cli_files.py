"""A command given a FIFO or a device as its input file refuses it at once, with a one-line
error, instead of waiting for a writer that never comes or reading /dev/zero for ever."""

from __future__ import annotations

import os

import pytest

from tests.processes import moldx_cds


@pytest.mark.parametrize("command", [("scrub",), ("remit",), ("check",)])
def test_a_fifo_or_a_device_as_the_input_file_is_refused(tmp_path, command):
    fifo = tmp_path / "orders.fifo"
    os.mkfifo(fifo)
    for path, kind in ((fifo, "FIFO"), ("/dev/zero", "device")):
        done = moldx_cds(*command, str(path), cwd=tmp_path, timeout=60)
        assert done.returncode == 2, done.stderr
        assert f"is a {kind}" in done.stderr, done.stderr
