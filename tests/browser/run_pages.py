#!/usr/bin/python3
"""Opens each page in Debian's chromium (headless, driven through chromedriver by Debian's python3-selenium)
and prints what each page itself found out, as one JSON array on stdout:

    /usr/bin/python3 run_pages.py '[{"name": "...", "url": "http://127.0.0.1:PORT/page.html?endpoint=..."}]'

Each page sets window.sdksignResult when its fetch() has settled; the browser's console lines (where chromium
explains a CORS refusal) come along. Run by Debian's own /usr/bin/python3, the interpreter python3-selenium is
installed for (another python3 earlier on PATH, such as a pyenv one, does not see it). Every page gets a new
chromium with a new empty profile.
"""

import json
import os
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = os.environ.get("SDKSIGN_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("SDKSIGN_CHROMEDRIVER", "/usr/bin/chromedriver")
# As root in a container there is no sandbox; the rest keeps chromium off the (closed) network.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]
WAIT_SECONDS = 15


def open_page(name, url):
    profile = tempfile.TemporaryDirectory(prefix="sdksign-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS + [f"--user-data-dir={profile.name}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    console = []
    driver = None
    try:
        # An explicit chromedriver: no driver manager looks for (or downloads) one.
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        driver.set_page_load_timeout(WAIT_SECONDS)
        driver.get(url)
        deadline = time.monotonic() + WAIT_SECONDS
        result = None
        while time.monotonic() < deadline:
            result = driver.execute_script("return window.sdksignResult === undefined ? null : window.sdksignResult;")
            if result is not None:
                break
            time.sleep(0.1)
        console = [entry.get("message", "") for entry in driver.get_log("browser")]
        if result is None:
            return {"name": name, "result": None, "failure": f"no window.sdksignResult after {WAIT_SECONDS} s",
                    "console": console}
        return {"name": name, "result": result, "console": console}
    except Exception as error:  # noqa: BLE001 - reported to the test, which names the page that failed
        return {"name": name, "result": None, "failure": f"{type(error).__name__}: {error}", "console": console}
    finally:
        if driver is not None:
            driver.quit()
        profile.cleanup()


def main():
    pages = json.loads(sys.argv[1])
    results = [open_page(page["name"], page["url"]) for page in pages]
    sys.stdout.write(json.dumps(results) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
