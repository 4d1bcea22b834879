#!/usr/bin/python3
"""The review page in a real browser: Debian's chromium, headless, driven by
Selenium through chromium-driver. It starts `lumenq review` on a phantom,
steps frames with the keys (the frame image and the contour change), moves
the lesion with L (the %DS shown is `lumenq measure --lesion-frame`'s),
drags a contour point and saves (edits.json, the report and the SR say
so; the SR passes dciodvfy), checks that a request without the token gets
403 and that a path outside the page is refused, and takes a screenshot.
It measures how long a frame change takes to show (key press to the new
image drawn) over 30 steps and prints the median and the worst.

Usage: review_browser.py LUMENQ STUDY.dcm WORKDIR [--screenshot PNG] [--steps N]
       [--max-ms MS] [--timing-only [--wait-lmode]]
       (exit 1 when a check fails or the median is over MS)
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

args = argparse.ArgumentParser()
args.add_argument("lumenq")
args.add_argument("study")
args.add_argument("work")
args.add_argument("--screenshot")
args.add_argument("--steps", type=int, default=30)
args.add_argument("--max-ms", type=float, default=100.0)
args.add_argument("--timing-only", action="store_true")
args.add_argument("--wait-lmode", action="store_true", help="time the frame changes once the L-mode is built")
a = args.parse_args()

passed = failed = 0


def check(name, ok):
    global passed, failed
    print(("ok - " if ok else "not ok - ") + name, flush=True)
    if ok:
        passed += 1
    else:
        failed += 1


def measure_json(*extra):
    out = os.path.join(a.work, "m.json")
    subprocess.run([a.lumenq, "measure", "-q", *extra, "--json", out, a.study], check=True, stdout=subprocess.DEVNULL)
    return json.load(open(out))


saved = os.path.join(a.work, "saved")
server = subprocess.Popen([a.lumenq, "review", a.study, "--out", saved, "--reader", "Dr Browser", "--sr",
                           os.path.join(saved, "sr.dcm"), "-q"], stdout=subprocess.PIPE, text=True)
driver = None
try:
    url = server.stdout.readline().strip()
    base, token = url.split("/?token=")
    for path, want in (("/", 403), ("/api/state", 403), ("/../etc/passwd?token=" + token, 404)):
        try:
            code = urllib.request.urlopen(base + path).status
        except urllib.error.HTTPError as e:
            code = e.code
        check("GET %s: %d" % (path.split("?")[0], want), code == want)

    options = Options()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1300,1250"):
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    wait = WebDriverWait(driver, 30)
    driver.get(url)
    wait.until(lambda d: d.execute_script("return document.body.dataset.ready === '1'"))
    body = driver.find_element(By.TAG_NAME, "body")
    shown = lambda: int(driver.execute_script("return document.body.dataset.shown"))
    pixels = lambda: driver.execute_script("return document.getElementById('frame').toDataURL()")
    contour = lambda: driver.execute_script("return JSON.stringify(contour.contour_mm)")

    # frame changes as a reader makes them: key press to the new frame drawn
    frames = driver.execute_script("return info.frames")
    start = shown()
    if a.wait_lmode:
        WebDriverWait(driver, 600).until(lambda d: d.execute_script("return document.body.dataset.lmode") == "0")
    # the page times each change itself, from the key event to the new frame drawn
    fast = WebDriverWait(driver, 30, poll_frequency=0.005)
    times = []
    for k in range(a.steps):
        key = Keys.ARROW_RIGHT if start + k + 1 <= frames else Keys.ARROW_LEFT
        before = shown()
        body.send_keys(key)
        fast.until(lambda d: shown() != before)
        times.append(float(driver.execute_script("return document.body.dataset.changeMs")))
    median, worst = statistics.median(times), max(times)
    print("# key press to frame drawn, in the page: median %.1f ms, worst %.1f ms over %d steps, %d frames %dx%d"
          % (median, worst, len(times), frames, driver.execute_script("return info.columns"),
             driver.execute_script("return info.rows")), flush=True)
    check("a frame change shows within %.0f ms (median %.1f ms)" % (a.max_ms, median), median <= a.max_ms)
    if a.timing_only:
        sys.exit(0 if failed == 0 else 1)

    # the L-mode: drawn once built; A turns the cut
    wait.until(lambda d: d.execute_script("return document.body.dataset.lmode") == "0")
    lmode_pixels = lambda: driver.execute_script("return document.getElementById('lmode').toDataURL()")
    before_turn = lmode_pixels()
    body.send_keys("a")
    wait.until(lambda d: d.execute_script("return document.body.dataset.lmode") == "1")
    check("A: the L-mode cut turns (another image)", lmode_pixels() != before_turn)

    body.send_keys(Keys.HOME)
    wait.until(lambda d: shown() == 1)
    first_pixels, first_contour = pixels(), contour()
    body.send_keys(Keys.PAGE_DOWN)
    wait.until(lambda d: shown() == 11)
    check("Page Down: 10 frames on", shown() == 11)
    check("another frame: other pixels", pixels() != first_pixels)
    check("another frame: another contour", contour() != first_contour)
    body.send_keys(Keys.END)
    wait.until(lambda d: shown() == frames)
    check("End: the last frame", shown() == frames)

    # L: the lesion is the frame shown; %DS follows the library's
    lesion = driver.execute_script("return state.summary.lesion_frame")
    target = lesion + 3
    body.send_keys(Keys.HOME)
    wait.until(lambda d: shown() == 1)
    for _ in range(target - 1):
        body.send_keys(Keys.ARROW_RIGHT)
    wait.until(lambda d: shown() == target)
    body.send_keys("l")
    wait.until(lambda d: d.execute_script("return state.summary.lesion_frame") == target)
    want = measure_json("--lesion-frame", str(target))["summary"]["diameter_stenosis_pct"]
    shown_ds = driver.find_element(By.ID, "n-%DS").text
    check("L: the lesion moved, %%DS %s as measure --lesion-frame %d gives (%.2f)" % (shown_ds, target, want),
          shown_ds == "%.1f" % want)

    # drag a contour point outwards by 20 px and let go: the frame is edited and measured again
    area_before = driver.execute_script("return contour.area_mm2")
    point = driver.execute_script("""
        const p = contour.contour_mm[0], c = toCanvas(p[0], p[1]), cv = document.getElementById('frame');
        const r = cv.getBoundingClientRect();
        return [c[0] * r.width / cv.width - r.width / 2, c[1] * r.height / cv.height - r.height / 2];""")
    canvas = driver.find_element(By.ID, "frame")
    ActionChains(driver).move_to_element_with_offset(canvas, int(point[0]), int(point[1])).click_and_hold() \
        .move_by_offset(20, 0).release().perform()
    wait.until(lambda d: target in d.execute_script("return state.edited"))
    wait.until(lambda d: d.execute_script("return document.getElementById('editedmark').textContent") == "EDITED")
    area_after = driver.execute_script("return contour.area_mm2")
    check("a dragged point: the frame is edited and its area measured again (%.1f -> %.1f mm2)"
          % (area_before, area_after), area_after > area_before)
    mla = driver.execute_script("return state.summary.mla_mm2")
    check("the lesion's MLA is the edited contour's area", abs(mla - area_after) < 1e-9)
    area_now = lambda: driver.execute_script("return contour.area_mm2")

    def reaches(area):
        try:
            WebDriverWait(driver, 10).until(lambda d: abs(area_now() - area) < 1e-9)
            return True
        except Exception:
            return False
    body.send_keys(Keys.CONTROL, "z")
    check("Ctrl+Z: the edit undone", reaches(area_before) and driver.execute_script("return state.edited.length") == 0)
    body.send_keys(Keys.CONTROL, "y")
    check("Ctrl+Y: the edit again", reaches(area_after) and driver.execute_script("return state.edited.length") == 1)

    # Shift+drag draws the contour again: a square of 40 px around the centre
    other = target + 1
    body.send_keys(Keys.ARROW_RIGHT)
    wait.until(lambda d: shown() == other)
    chain = ActionChains(driver).key_down(Keys.SHIFT).move_to_element_with_offset(canvas, -20, -20).click_and_hold()
    for dx, dy in [(4, 0)] * 10 + [(0, 4)] * 10 + [(-4, 0)] * 10 + [(0, -4)] * 10:
        chain = chain.move_by_offset(dx, dy)
    chain.release().key_up(Keys.SHIFT).perform()
    wait.until(lambda d: other in d.execute_script("return state.edited"))
    side_mm = 40 * driver.execute_script("return info.columns * info.pixel_dx_mm / document.getElementById('frame')"
                                         ".getBoundingClientRect().width")
    wait.until(lambda d: d.execute_script("return contour.frame") == other)
    drawn = driver.execute_script("return contour.area_mm2")
    check("Shift+drag: the contour drawn again and measured (%.1f mm2, the square %.1f mm2)" % (drawn, side_mm ** 2),
          abs(drawn - side_mm ** 2) < 0.15 * side_mm ** 2)
    body.send_keys(Keys.CONTROL, "z")
    wait.until(lambda d: other not in d.execute_script("return state.edited"))
    body.send_keys(Keys.ARROW_LEFT)
    wait.until(lambda d: shown() == target)

    if a.screenshot:
        driver.save_screenshot(a.screenshot)

    driver.find_element(By.ID, "save").click()
    wait.until(lambda d: d.find_element(By.ID, "saved").text.startswith("saved"))
    edits = json.load(open(os.path.join(saved, "edits.json")))
    check("Save: edits.json has the reader, the lesion and the dragged contour",
          edits["reader"] == "Dr Browser" and edits["lesion"] == {"frame": target}
          and [c["frame"] for c in edits["contours"]] == [target])
    report = open(os.path.join(saved, "report.txt")).read()
    check("Save: the report says what the reader changed",
          "contour of frame %d redrawn; lesion chosen by the reader" % target in report)
    again = measure_json("--edits", os.path.join(saved, "edits.json"))
    check("Save: measure --edits on it gives the page's MLA",
          abs(again["summary"]["lesion"]["mla_mm2"] - mla) < 0.006)
    dump = subprocess.run(["dsrdump", "+Pl", os.path.join(saved, "sr.dcm")], capture_output=True, text=True).stdout
    check("Save: the SR says who changed what", "reader's edits by Dr Browser" in dump)
    verify = subprocess.run(["dciodvfy", os.path.join(saved, "sr.dcm")], capture_output=True, text=True)
    check("Save: the SR passes dciodvfy without error or warning",
          not any(l.lower().startswith(("error", "warning")) for l in (verify.stdout + verify.stderr).splitlines()))
finally:
    if driver:
        driver.quit()
    server.terminate()
    server.wait(timeout=30)

print("# %d passed, %d failed" % (passed, failed))
sys.exit(0 if failed == 0 else 1)
