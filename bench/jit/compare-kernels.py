#!/usr/bin/env python3
"""Compare the JIT's code for the GEMM micro-kernels between two builds (no timing, so it works on a busy machine).

Capture each build's listings while the GEMM tests run, then compare:
  DOTNET_JitDisasm='Kernel*' DOTNET_JitStdOutFile=/tmp/old.asm dotnet test OLD/FashionMnist.Tests.dll --filter FullyQualifiedName~GemmTests
  DOTNET_JitDisasm='Kernel*' DOTNET_JitStdOutFile=/tmp/new.asm dotnet test NEW/FashionMnist.Tests.dll --filter FullyQualifiedName~GemmTests
  bench/jit/compare-kernels.py /tmp/old.asm /tmp/new.asm
A kernel is matched by its tile (old hand-written KernelMxN or new Kernel[RowsM,...]). Printed per kernel: instruction
counts, whether the K loop (the first loop with broadcasts: where the time goes) is identical instruction for instruction,
and whether the whole method has the same multiset of mnemonics.
"""
import re
import sys
from collections import Counter


def listings(path):
    parts = re.split(r'(?m)^; Assembly listing for method ', open(path).read())[1:]
    return {p.split('\n', 1)[0]: p for p in parts}


def instructions(body):
    out = []
    for line in body.split('\n')[1:]:
        s = line.strip()
        if not s or s.startswith(';') or s.endswith(':') or s.startswith('G_M'):
            continue
        s = re.sub(r'\s*;.*', '', s)
        s = re.sub(r'G_M\d+_IG\d+', 'L', s)
        out.append(re.sub(r'\s+', ' ', s))
    return out


def k_loop(code):
    first = next(i for i, x in enumerate(code) if x.startswith('vbroadcast'))
    start = first
    while start > 0 and not (code[start - 1].startswith('align') or code[start - 1].startswith('j')):
        start -= 1
    end = first
    while end < len(code) and not re.match(r'j(l|g|ne|b|a)\b', code[end]):
        end += 1
    return code[start:end + 1]


def tile(name):
    m = re.search(r'Kernel(\d+)x\d+\(', name) or re.search(r'Kernel\[[\w.]*Rows(\d+),', name)
    return int(m.group(1)) if m else None


old, new = (listings(p) for p in sys.argv[1:3])
for rows in sorted({tile(n) for n in old} - {None}):
    o = instructions(next(b for n, b in old.items() if tile(n) == rows))
    n = instructions(next(b for n, b in new.items() if tile(n) == rows))
    same_loop = k_loop(o) == k_loop(n)
    same_mix = Counter(x.split(' ')[0] for x in o) == Counter(x.split(' ')[0] for x in n)
    print(f'MR={rows}: {len(o)} vs {len(n)} instructions; K loop {len(k_loop(o))} vs {len(k_loop(n))}, '
          f'{"identical" if same_loop else "DIFFERENT"}; same mnemonics overall: {same_mix}')
