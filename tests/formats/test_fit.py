"""fit: the width, cutting in the middle, the part where two texts differ, colour; each case's
expected text worked out by hand in its comment."""

from __future__ import annotations

import fcntl
import os
import struct
import termios

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layerscope.formats.fit import (
    PLAIN,
    Fit,
    cut_end,
    cut_path,
    for_reader,
    paint,
    show_difference,
    terminal_width,
    wants_colour,
)

PYC = "/usr/local/lib/python3.11/dist-packages/certifi/__pycache__/core.cpython-311.pyc"  # 82


@pytest.fixture
def terminal():
    """A real pseudo-terminal, 80 columns by 24 rows, as a text stream."""
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    stream = os.fdopen(follower, "w")
    yield stream
    stream.close()
    os.close(leader)


@pytest.fixture
def pipe():
    reader, writer = os.pipe()
    stream = os.fdopen(writer, "w")
    yield stream
    stream.close()
    os.close(reader)


def test_width_from_columns_then_terminal_then_80(terminal, pipe):
    assert terminal_width({"COLUMNS": "132"}, terminal) == 132
    assert terminal_width({}, terminal) == 80
    assert terminal_width({"COLUMNS": "wide"}, pipe) == 80  # not a number: ignored
    assert terminal_width({"COLUMNS": "0"}, None) == 80
    assert terminal_width({}, pipe) == 80


def test_colour_on_a_terminal_only(terminal, pipe):
    assert wants_colour({}, terminal) is True
    assert wants_colour({"NO_COLOR": "1"}, terminal) is False
    assert wants_colour({"TERM": "dumb"}, terminal) is False
    assert wants_colour({}, pipe) is False
    assert wants_colour({}, None) is False
    assert for_reader({}, terminal, no_trunc=True) == Fit(80, truncate=False, colour=True)
    assert for_reader({"COLUMNS": "100"}, pipe, wide=True) == Fit(100, wide=True)


def test_paint_only_with_colour():
    assert paint("+1.0 kB", "added", Fit(colour=True)) == "\x1b[32m+1.0 kB\x1b[0m"
    assert paint("dead", "dead", Fit(colour=True)) == "\x1b[35mdead\x1b[0m"
    assert paint("+1.0 kB", "added", PLAIN) == "+1.0 kB"


def test_cut_end_one_line_and_no_trunc():
    # "RUN apt-get update &&\n    apt-get install" is one line of 40 characters; 20 keep 19 + "…".
    text = "RUN apt-get update &&\n    apt-get install"
    assert cut_end(text, 20) == "RUN apt-get update …"
    assert cut_end(text, 40) == "RUN apt-get update && apt-get install"
    assert cut_end(text, 20, Fit(truncate=False)) == "RUN apt-get update && apt-get install"


def test_path_cut_in_the_middle_keeps_the_file_name():
    # 40 columns: the name "/core.cpython-311.pyc" (21) fits in two thirds of 39 (26), its
    # parent "/__pycache__" would make 32, so the rest is the path's first 40 - 1 - 21 = 18.
    assert cut_path(PYC, 40) == "/usr/local/lib/pyt…/core.cpython-311.pyc"
    # 60 columns: two thirds of 59 is 39: "/__pycache__/core.cpython-311.pyc" (33) fits,
    # "/certifi/..." (41) does not; the head is the first 60 - 1 - 33 = 26 characters.
    assert cut_path(PYC, 60) == "/usr/local/lib/python3.11/…/__pycache__/core.cpython-311.pyc"
    # Three files of one directory stay three different rows.
    rows = {cut_path(PYC.replace("core", name), 40) for name in ("core", "util", "main")}
    assert len(rows) == 3
    # A name longer than the width keeps its end: 12 columns = "…" + the last 11 characters.
    assert cut_path(PYC, 12) == "…hon-311.pyc"
    assert cut_path(PYC, 82) == PYC
    assert cut_path(PYC, 20, Fit(truncate=False)) == PYC
    # A file name keeps its spaces; a newline in it is shown escaped, so no table row breaks.
    assert cut_path("/srv/my  file\nname.txt", 80) == "/srv/my  file\\nname.txt"


def test_group_keeps_its_own_count():
    # " (41 files)" (11) always stays; 30 columns leave 19 for the path: the name "*" and its
    # parent "special" fit two thirds of 18 (12): "/special/*" (10), "/scipy/..." (16) does not;
    # head = 19 - 1 - 10 = 8 characters.
    group = "/usr/local/lib/python3.11/dist-packages/scipy/special/* (41 files)"
    assert cut_path(group, 30) == "/usr/loc…/special/* (41 files)"
    # A removed directory's group ends in "/": the slash stays with the name.
    assert cut_path("/tmp/my_requirements/very/long/dir/ (2 files)", 30) == \
        "/tmp/my_r…/long/dir/ (2 files)"


def test_two_instructions_that_differ_only_past_the_cut():
    # They share 72 + 37 = 109 characters ('RUN echo ... && ' and 'apt-get update && apt-get
    # install -y '), then "curl" against "--no-install-recommends". At 60 columns both start
    # 20 characters (a third of 60) before the difference, at 89, the space after
    # "apt-get update &&", behind an ellipsis, so the difference is on screen.
    a = ('RUN echo "deb [trusted=yes] ${REPO}/debs ./" > /etc/apt/sources.list && '
         "apt-get update && apt-get install -y curl python3-pip")
    b = ('RUN echo "deb [trusted=yes] ${REPO}/debs ./" > /etc/apt/sources.list && '
         "apt-get update && apt-get install -y --no-install-recommends curl python3-pip")
    assert a[:109] == b[:109] and a[109] != b[109]
    shown_a, shown_b = show_difference(a, b, 60)
    assert shown_a == "… apt-get install -y curl python3-pip"
    assert shown_b == "… apt-get install -y --no-install-recommends curl python3-p…"
    assert len(shown_b) == 60
    # Cut from the end they would read the same: the bug this replaces.
    assert cut_end(a, 60) == cut_end(b, 60)
    # A difference near the start is cut from the end as usual.
    assert show_difference("RUN x " + "y" * 80, "RUN z " + "y" * 80, 20) == (
        "RUN x " + "y" * 13 + "…", "RUN z " + "y" * 13 + "…")
    assert show_difference(a, b, 60, Fit(truncate=False)) == (a, b)


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.text(alphabet="ab./_ -é", min_size=1, max_size=12), min_size=1,
                      max_size=8),
       count=st.sampled_from(["", " (2 files)", " (1,234 files)"]),
       width=st.integers(min_value=1, max_value=90))
def test_cut_path_never_exceeds_the_width_and_keeps_what_it_promises(parts, count, width):
    path = "/" + "/".join(parts) + count
    shown = cut_path(path, width)
    assert len(shown) <= max(width, 8)
    if len(path) <= max(width, 8):
        assert shown == path
    name = parts[-1]
    if " " not in name and count and len(name) + len(count) + 2 <= max(width, 8) - 8:
        assert shown.endswith("/" + name + count) or shown == path


@settings(max_examples=200, deadline=None)
@given(shared=st.text(alphabet="abc ", max_size=150), a=st.text(alphabet="xyz", max_size=40),
       b=st.text(alphabet="pq", min_size=1, max_size=40), width=st.integers(20, 100))
def test_show_difference_keeps_the_first_difference_on_screen(shared, a, b, width):
    left, right = shared + "x" + a, shared + b
    shown_left, shown_right = show_difference(left, right, width)
    assert len(shown_left) <= width and len(shown_right) <= width
    assert shown_left != shown_right
