#!/usr/bin/env python3
"""How clearly a phantom's scar stands out from blood at the true lumen
border, by brightness, by texture and by both: the figures docs/segmentation.md
(step 8, the scar's finer speckle) cites.

    lumenq-phantom s.dcm truth.json --seed 5 --scale 0.2 --transducer 20 --gated --scar --frames 200
    tools/texture-z.py s.dcm truth.json 3 74 130

Each frame is resampled as lumenq does (256 rays of 256 samples from the
image centre, the phantom's catheter; bilinear for the image, each sample's
2x2 pixel-cell variation for the texture), both boxed over 5 samples x 3
rays. Every fourth ray's profile, averaged over 15 rays, from 0.88 mm out
to where the bright wall begins, is split at every radius as step 8 splits
it (four grains a side, the two means against the scatter about them);
printed: the median z at the truth's radius and its 10th percentile, and
the share of rays whose best split lies within 5 samples of the truth, for
the intensity (I), the texture alone (T) and the two added (C, texture
weighted 1.7). It does not apply step 8's other tests (sharpness, levels).
Needs numpy, scipy and pydicom (Debian: python3-numpy python3-scipy
python3-pydicom); not run by the tests.
"""
import json
import sys

import numpy as np
import pydicom
from scipy.ndimage import map_coordinates, uniform_filter1d

NA, NR, SIDE, WALL = 256, 256, 20, 110


def split_z(prof, n):
    s = np.concatenate([[0], np.cumsum(prof)])
    q = np.concatenate([[0], np.cumsum(prof ** 2)])
    z = np.full(n + 1, np.nan)
    for e in range(SIDE, n - SIDE + 1):
        m1, m2 = s[e] / e, (s[n] - s[e]) / (n - e)
        scatter = (q[n] - e * m1 * m1 - (n - e) * m2 * m2) / (n - 2)
        z[e] = (m2 - m1) / np.sqrt(max(scatter, 1e-9) * 5 * (1 / e + 1 / (n - e)))
    return z


def frame_figures(img, contour, pm):
    h, w = img.shape
    cx, cy = (w - 1) * 0.5 * pm, (h - 1) * 0.5 * pm
    dr = 0.98 * min(w, h) * 0.5 * pm / NR
    th = np.arange(NA) * 2 * np.pi / NA
    r = np.arange(NR) * dr
    x = (cx + np.outer(np.cos(th), r)) / pm
    y = (cy + np.outer(np.sin(th), r)) / pm
    intensity = map_coordinates(img, [y, x], order=1)
    yi = np.clip(np.floor(y).astype(int), 0, h - 2)
    xi = np.clip(np.floor(x).astype(int), 0, w - 2)
    p00, p01, p10, p11 = img[yi, xi], img[yi, xi + 1], img[yi + 1, xi], img[yi + 1, xi + 1]
    texture = 0.5 * (abs(p01 - p00) + abs(p10 - p00) + abs(p11 - p01) + abs(p11 - p10))

    def box(a):
        return uniform_filter1d(uniform_filter1d(a, 5, axis=1), 3, axis=0, mode="wrap")

    intensity, texture = box(intensity), box(texture)
    c = np.array(contour) - [cx, cy]
    ang = np.arctan2(c[:, 1], c[:, 0]) % (2 * np.pi)
    order = np.argsort(ang)
    truth = np.interp(th, ang[order], np.hypot(c[:, 0], c[:, 1])[order], period=2 * np.pi) / dr
    lo, weight = 45, 1.7
    out = {k: [] for k in "ITC"}
    for a in range(0, NA, 4):
        k = int(round(truth[a]))
        wall = k
        while wall < NR - 3 and intensity[a, wall] < WALL:
            wall += 1
        n = wall - 2 - lo
        if n < 2 * SIDE + 5:
            continue
        rows = [(a + q) % NA for q in range(-7, 8)]
        pi, pt = intensity[rows, lo:lo + n].mean(0), texture[rows, lo:lo + n].mean(0)
        for key, prof in (("I", pi), ("T", pt), ("C", pi + weight * pt)):
            z = split_z(prof, n)
            near = z[max(k - lo - 3, 0):k - lo + 4]
            if np.all(np.isnan(near)):
                continue
            out[key].append((np.nanmax(near), np.nanargmax(z) + lo - k))
    return out


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    ds = pydicom.dcmread(sys.argv[1])
    truth = json.load(open(sys.argv[2]))
    for fr in (int(v) for v in sys.argv[3:]):
        img = ds.pixel_array[fr - 1].astype(float)
        if img.ndim == 3:
            img = img.mean(axis=2)
        out = frame_figures(img, truth["frames_truth"][fr - 1]["contour_mm"], truth["pixel_mm"])
        for key, name in (("I", "intensity"), ("T", "texture"), ("C", "both")):
            v = np.array(out[key])
            print(f"frame {fr} {name:9s}: z at the truth median {np.median(v[:, 0]):.2f}, 10th percentile "
                  f"{np.percentile(v[:, 0], 10):.2f}; best split within 5 samples on {np.mean(abs(v[:, 1]) <= 5):.0%}"
                  f" of {len(v)} rays")


if __name__ == "__main__":
    main()
