#!/usr/bin/env python3
"""docs/from-pytorch.md -> one C++ program: the page's first ```cpp block as the preamble of
main(), then every code span of the tables' xgrad column (the second) in a scope of its own,
in page order, each marked with its line. The test suite builds and runs it, so every
spelling the page shows compiles and runs.

Usage: from_pytorch.py docs/from-pytorch.md OUT.cpp
"""
import re
import sys


def main(doc, out):
    lines = open(doc, encoding="utf-8").read().split("\n")
    start = lines.index("```cpp") + 1
    end = lines.index("```", start)
    preamble = lines[start:end]
    cells = []
    for number, line in enumerate(lines, 1):
        cols = line.split(" | ")
        if not line.startswith("| ") or len(cols) < 2 or line.startswith("| ---") or line.startswith("| PyTorch"):
            continue
        xgrad = cols[1].rstrip(" |")
        for span in re.findall(r"`([^`]+)`", xgrad):
            cells.append((number, span.strip().rstrip(";")))
    with open(out, "w", encoding="utf-8") as f:
        f.write("// Generated from docs/from-pytorch.md by tests/from_pytorch.py: do not edit.\n")
        f.write('#pragma GCC diagnostic ignored "-Wunused-variable"\n')
        f.write('#pragma GCC diagnostic ignored "-Wunused-but-set-variable"\n')
        f.write("#include <cstdio>\n#include <filesystem>\n#include <memory>\n#include <string>\n#include <vector>\n\n")
        f.write("#include <xgrad.hpp>\n\nint main() {\n")
        for line in preamble:
            f.write("    " + line + "\n")
        for number, code in cells:
            f.write(f"    {{ {code}; }}  // docs/from-pytorch.md:{number}\n")
        f.write(f'    std::printf("ok - the {len(cells)} xgrad spellings of docs/from-pytorch.md compile and run\\n");\n')
        f.write("    return 0;\n}\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
