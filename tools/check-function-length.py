#!/usr/bin/env python3
"""Fails when a function in the given folders runs past LIMIT lines (signature to closing brace).

The code style puts functions at indent 0 (namespace scope) or 2 (class members) with the closing
brace at the same indent; that is what this reads. Usage: check-function-length.py LIMIT DIR...
"""
import os
import sys

SKIP = ('//', '#', 'namespace', 'struct', 'class', 'enum', 'return', 'if', 'for', 'while', 'switch', 'case',
        'using', 'template', '}', 'PYBIND11_MODULE')


def body_end(lines, start, indent):
    close = ' ' * indent + '}'
    k = start + 1
    while k < len(lines) and not (lines[k].startswith(close) and
                                  (len(lines[k]) == indent + 1 or lines[k][indent + 1] in ' ;)/')):
        k += 1
    return k


def long_functions(path, limit):
    lines = open(path, errors='replace').read().split('\n')
    found, i = [], 0
    while i < len(lines):
        text = lines[i].strip()
        indent = len(lines[i]) - len(lines[i].lstrip())
        if indent <= 2 and '(' in text and not text.startswith(SKIP) and not text.endswith((';', '}')):
            j = i
            while j < min(len(lines), i + 8) and not lines[j].rstrip().endswith(('{', ';', '}')):
                j += 1
            if j < len(lines) and lines[j].rstrip().endswith('{'):
                end = body_end(lines, j, indent)
                if end - i + 1 > limit:
                    found.append((end - i + 1, i + 1, text[:90]))
                i = end
        i += 1
    return found


def main():
    limit, failed = int(sys.argv[1]), 0
    for root in sys.argv[2:]:
        for folder, _, files in os.walk(root):
            for name in sorted(files):
                if name.endswith(('.cpp', '.h', '.cu')):
                    path = os.path.join(folder, name)
                    for length, line, text in long_functions(path, limit):
                        print(f'{path}:{line}: {length} lines (limit {limit}): {text}')
                        failed += 1
    print(f'{failed} functions over {limit} lines' if failed else f'every function within {limit} lines')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
