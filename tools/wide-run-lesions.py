#!/usr/bin/env python3
"""The consistency pass's wide-run rule (src/pipeline.c, wide_run_from and
wide_run) on synthetic area profiles: pairs of cosine lesions 2-5 mm long,
1-6 mm apart, area ratio 1.3-5, at 0.4 mm a frame (a gated pullback), and
a leak held over frames 181-194 of the small vessel at 20 MHz with scar,
held-out seed 8 (its first-pass areas, split by one lumen frame). Prints
how many pairs make a run, with and without the flank rule, and the leak's
frames. Standard library only; it restates the C arithmetic, so change both
together (docs/segmentation.md, consistency).

    python3 tools/wide-run-lesions.py
"""
import math

SHARE, RUN_MAX, FLANK_FRAMES, FLANK_FALL = 0.25, 16, 3, 0.10


def off_flanks(area, t, before, after):
    a, b, x = area[before], area[after], area[t]
    if abs(a - b) > SHARE * max(a, b):
        return False
    return abs(x - a) > SHARE * a and abs(x - b) > SHARE * b


def flank_level(area, f, step):
    for k in range(1, FLANK_FRAMES + 1):
        g = f + step * k
        if g < 0 or g >= len(area):
            break
        if area[g] < (1 - FLANK_FALL) * area[f]:
            return False
    return True


def run_from(area, u, flank_rule):
    narrowest, b, e, grew = area[u], u, u, True
    while grew and e - b + 1 <= RUN_MAX:
        grew = False
        while b > 0 and area[b - 1] * (1 + SHARE) >= narrowest and e - b + 1 <= RUN_MAX:
            b -= 1
            narrowest, grew = min(narrowest, area[b]), True
        while e + 1 < len(area) and area[e + 1] * (1 + SHARE) >= narrowest and e - b + 1 <= RUN_MAX:
            e += 1
            narrowest, grew = min(narrowest, area[e]), True
    if e - b + 1 > RUN_MAX or e - b < 2 or b == 0 or e + 1 >= len(area):
        return None
    if not all(off_flanks(area, k, b - 1, e + 1) for k in range(b, e + 1)):
        return None
    if any(area[k] <= max(area[b - 1], area[e + 1]) for k in range(b, e + 1)):
        return None
    if flank_rule and not (flank_level(area, b - 1, -1) and flank_level(area, e + 1, 1)):
        return None
    return b, e


def in_runs(area, flank_rule):
    frames = set()
    for u in range(len(area)):
        run = run_from(area, u, flank_rule)
        if run:
            frames.update(range(run[0], run[1] + 1))
    return frames


def lesion_pair(ratio, length, gap, dz=0.4, normal=10.0):
    z = [i * dz for i in range(int(40 / dz))]
    area = [normal] * len(z)
    c1 = 10 + length / 2
    for c in (c1, c1 + length + gap):
        for i, zi in enumerate(z):
            if abs(zi - c) < length / 2:
                dip = (1 - 1 / ratio) * 0.5 * (1 + math.cos(2 * math.pi * (zi - c) / length))
                area[i] = min(area[i], normal * (1 - dip))
    return area


pairs = [(r, l, g) for r in (1.3, 1.5, 2, 3, 5) for l in (2, 3, 5) for g in (1, 2, 3, 4, 6)]
for rule in (False, True):
    hit = sum(bool(in_runs(lesion_pair(*p), rule)) for p in pairs)
    print("lesion pairs making a wide run, %s the flank rule: %d of %d" % ("with" if rule else "without", hit, len(pairs)))
leak = [3.8] * 10 + [6.1, 8.4, 5.0, 5.7, 7.4, 6.5, 6.3, 3.9, 6.4, 6.4, 6.1, 6.2, 6.7, 6.4] + [3.6, 3.7, 3.7, 3.3] + [3.6] * 5
print("seed 8's leak (frames 181-194 as 11-24): in runs", sorted(i + 1 for i in in_runs(leak, True)))
