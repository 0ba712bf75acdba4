#!/usr/bin/env python3
"""The ```cpp block that follows a marker line in a Markdown page, as a header: so that code a
page shows is the code a test compiles and runs (docs/nn.md's own cell, tests/nn_own_cell.cpp).

Usage: extract_block.py PAGE.md MARKER OUT.hpp
"""
import sys


def main(page, marker, out):
    lines = open(page, encoding="utf-8").read().split("\n")
    at = next((i for i, line in enumerate(lines) if marker in line), None)
    if at is None or lines[at + 1] != "```cpp":
        sys.exit(f"extract_block.py: no ```cpp block after a line with '{marker}' in {page}")
    end = lines.index("```", at + 2)
    with open(out, "w", encoding="utf-8") as f:
        f.write(f"// Generated from {page} by tests/extract_block.py: do not edit.\n#pragma once\n")
        f.write("\n".join(lines[at + 2:end]) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
