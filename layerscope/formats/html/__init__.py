"""The HTML report: one self-contained page (data, script and style inlined; no fetch of any kind)
for inspect, diff and check. `render` holds the three renderers, `tree` the directory map,
`page` the page assembly; the script and style are package data beside them."""
