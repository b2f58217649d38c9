#!/usr/bin/env bash
# Makes sure tmux is installed: the explorer's end-to-end test (tests/explore/test_terminal.py)
# runs `layerscope explore` in a real terminal, a detached tmux session, and reads its screen.
exec "$(dirname "$0")/need.sh" "the explorer's terminal test" tmux:tmux
