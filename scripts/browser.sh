#!/usr/bin/env bash
# Makes sure the browser the HTML report's tests drive is installed: Debian's chromium and
# chromium-driver (selenium talks to chromedriver).
exec "$(dirname "$0")/need.sh" "the HTML report's browser tests" \
  chromium:chromium chromedriver:chromium-driver
