#!/usr/bin/env python3
"""gcsum.py STDERR: GC cycles, their CPU time (gctrace), the largest live heap and
the cycles whose goal was below twice the live heap of the cycle before (set by the limit)."""
import re, sys
n = cpu = 0.0; live = 0; limited = 0; limcpu = 0.0; prev = None
for l in open(sys.argv[1]):
    m = re.match(r"gc \d+ @([\d.]+)s \d+%: [\d.+]+ ms clock, ([\d.]+)\+([\d.]+)/([\d.]+)/([\d.]+)\+([\d.]+) ms cpu, (\d+)->(\d+)->(\d+) MB, (\d+) MB goal", l)
    if not m:
        continue
    c = sum(float(x) for x in m.group(2, 3, 4, 5, 6))
    # the idle-time mark worker (group 5) uses otherwise idle CPU; count it apart
    n += 1; cpu += c - float(m.group(5))
    goal = int(m.group(10))
    if prev is not None and goal < 2 * prev - 2 and goal > 4:
        limited += 1; limcpu += c - float(m.group(5))
    prev = int(m.group(9)); live = max(live, prev)
print("%d GC cycles, %.1f s GC CPU (idle marking excluded), max live %d MB; %d cycles with a goal below 2x live (%.1f s CPU)" % (n, cpu / 1000, live, limited, limcpu / 1000))
