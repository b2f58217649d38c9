"""check as JUnit XML: one testcase per budget, so CI systems show budgets as tests."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..rules.budgets.base import CheckResult, Status
from .base import RenderOptions
from .check_view import contributor_bytes, contributor_text, image_name


def failure_text(item) -> str:
    """The failure body: the verdict, then one line per contributor."""
    lines = [item.message]
    if item.contributors:
        lines.append("top contributors:")
        lines += [f"  {contributor_bytes(c):>9}  {contributor_text(c, 100)}"
                  for c in item.contributors]
    return "\n".join(lines)


def render_check(result: CheckResult, options: RenderOptions) -> str:
    name = image_name(result)
    counts = {"tests": str(len(result.results)), "failures": str(result.count(Status.FAIL)),
              "errors": "0", "skipped": str(result.count(Status.SKIP))}
    suites = ET.Element("testsuites", {"name": "layerscope check", **counts})
    suite = ET.SubElement(suites, "testsuite", {"name": f"layerscope check {name}", **counts})
    properties = ET.SubElement(suite, "properties")
    for key, value in (("image", name), ("image_id", result.image_id),
                       ("platform", result.platform), ("size", str(result.size))):
        ET.SubElement(properties, "property", {"name": key, "value": value})
    for item in result.results:
        case = ET.SubElement(suite, "testcase", {"classname": f"layerscope.check.{name}",
                                                 "name": item.name, "time": "0"})
        if item.status is Status.FAIL:
            failure = ET.SubElement(case, "failure", {"message": item.message, "type": item.name})
            failure.text = failure_text(item)
        elif item.status is Status.SKIP:
            ET.SubElement(case, "skipped", {"message": item.message})
        else:
            ET.SubElement(case, "system-out").text = item.message
    ET.indent(suites)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(suites, encoding="unicode") + "\n")
