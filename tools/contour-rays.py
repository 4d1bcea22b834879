#!/usr/bin/env python3
"""Each ray's lumen radius from the catheter: lumenq's contour against a
phantom's truth (docs/segmentation.md cites these figures).

    lumenq-phantom s.dcm truth.json --seed 2 --scar
    lumenq measure s.dcm --json measured.json
    tools/contour-rays.py truth.json measured.json 76          # one frame, every 5 degrees
    tools/contour-rays.py truth.json measured.json 6:200:15    # frames 6, 21, ...: a summary

Rays start at the image centre (the catheter of lumenq-phantom's frames).
A positive difference is a contour outside the true lumen. Standard library
only, so it runs anywhere the project builds.
"""
import json
import math
import statistics
import sys


def radius_along(contour, cx, cy, angle):
    """Distance from (cx, cy) along `angle` to the nearest crossing of the closed contour."""
    dx, dy = math.cos(angle), math.sin(angle)
    best = None
    for i, (x1, y1) in enumerate(contour):
        x2, y2 = contour[(i + 1) % len(contour)]
        x1, y1, x2, y2 = x1 - cx, y1 - cy, x2 - cx, y2 - cy
        ex, ey = x2 - x1, y2 - y1
        den = dx * ey - dy * ex
        if abs(den) < 1e-12:
            continue
        t = (x1 * ey - y1 * ex) / den
        u = (x1 * dy - y1 * dx) / den
        if t > 0 and 0 <= u <= 1 and (best is None or t < best):
            best = t
    return best


def frames_of(spec, n):
    if ":" in spec:
        first, last, step = (int(v) for v in spec.split(":"))
        return [f for f in range(first, min(last, n) + 1, step)]
    return [int(spec)]


def main(argv):
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 64
    truth, measured = (json.load(open(p)) for p in argv[1:3])
    study, cal = measured["study"], measured["calibration"]
    cx = (study["columns"] - 1) / 2 * cal["pixel_dx_mm"]
    cy = (study["rows"] - 1) / 2 * cal["pixel_dy_mm"]
    frames = frames_of(argv[3], len(measured["frames"]))
    rays = 360 if len(frames) > 1 else 72
    diffs = []
    for f in frames:
        t = truth["frames_truth"][f - 1]["contour_mm"]
        m = measured["frames"][f - 1]["contour_mm"]
        for k in range(rays):
            a = 2 * math.pi * k / rays
            rt, rm = radius_along(t, cx, cy, a), radius_along(m, cx, cy, a)
            if rt is None or rm is None:
                continue
            diffs.append(rm - rt)
            if len(frames) == 1:
                print(f"{360 * k / rays:5.0f} deg  truth {rt:6.2f}  lumenq {rm:6.2f}  {rm - rt:+.2f} mm")
    if not diffs:
        return 1
    q = statistics.quantiles(diffs, n=10)
    print(f"frames {argv[3]}: {len(diffs)} rays, difference mean {statistics.fmean(diffs):+.4f} mm, "
          f"median {statistics.median(diffs):+.4f}, 10th percentile {q[0]:+.4f}, 90th {q[-1]:+.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
