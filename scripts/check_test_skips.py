#!/usr/bin/env python3
"""Fails when a test skipped for any reason but a property of the machine.

Reads ctest's JUnit report (ctest --output-junit) and the allowed reasons (tests/allowed_skips.txt,
one regular expression a line, searched in the skipped test's output). A test that skips because a
picture, weights, a fixture or a tool is missing hides a broken set-up, so CI must not pass with it.
Usage: check_test_skips.py JUNIT_XML ALLOWED_SKIPS_TXT
"""
import re
import sys
import xml.etree.ElementTree as ElementTree


def skip_reason(output):
    """The message a test printed for its skip: gtest's lines after 'Skipped', or a 'SKIP:' line."""
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if line.endswith(": Skipped"):
            message = []
            for following in lines[i + 1:]:
                if following.startswith("[  SKIPPED ]"):
                    break
                message.append(following)
            return " ".join(message).strip() or "(no message)"
    for line in lines:
        if "SKIP" in line and not line.startswith("[  SKIPPED ]"):
            return line.strip()
    return "(no message)"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[2], encoding="utf-8") as f:
        allowed = [re.compile(line.strip()) for line in f if line.strip() and not line.startswith("#")]
    suite = ElementTree.parse(sys.argv[1]).getroot()
    refused = []
    accepted = 0
    for case in suite.iter("testcase"):
        if case.find("skipped") is None:
            continue
        output = case.findtext("system-out") or ""
        reason = skip_reason(output)
        if any(pattern.search(output) for pattern in allowed):
            accepted += 1
            print(f"skipped (machine): {case.get('name')}: {reason}")
        else:
            refused.append((case.get("name"), reason))
    for name, reason in refused:
        print(f"SKIPPED FOR MISSING DATA OR TOOLS: {name}: {reason}")
    total = sum(1 for _ in suite.iter("testcase"))
    print(f"check_test_skips: {total} tests, {accepted} skipped for the machine, {len(refused)} skipped for "
          f"missing data or tools")
    if refused:
        print("check_test_skips: FAILED: every test must run from a fresh clone after scripts/setup.sh --tests "
              "(tests/data/README.md); machine-only reasons are listed in tests/allowed_skips.txt")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
