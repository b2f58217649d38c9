"""tests/conftest.py gives the cyclic GC back after a test that ran main() in-process."""

from __future__ import annotations

import gc

import pytest

from layerscope.__main__ import main


def test_main_in_process_turns_the_cyclic_gc_off(capsys):
    with pytest.raises(SystemExit):  # argparse's --version exits
        main(["--version"])
    assert not gc.isenabled()  # by design, for its one-report process


def test_the_next_test_has_it_on_again():  # pytest runs a file's tests in order
    assert gc.isenabled()
