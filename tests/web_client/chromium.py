"""What the browser scripts share: headless Chromium (Debian's `chromium`)
driven over WebDriver (`chromium-driver`) by Selenium from PyPI, waits on
the page contract's ids, a step log for the test's failure report, and the
exit code (0 when all is done, 1 on any failure).
"""

import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import WebDriverWait

# Long, for a loaded CI machine: a wait ends as soon as the page shows it.
WAIT = 20.0


def log(text):
    print(f"{time.strftime('%H:%M:%S')} {text}", flush=True)


class Page:
    """chatd's page in a headless Chromium window of `size` (width, height)."""

    def __init__(self, url, size=(1100, 700)):
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", f"--window-size={size[0]},{size[1]}"):
            options.add_argument(flag)
        # The driver is Debian's: Selenium must not fetch one.
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.wait = WebDriverWait(self.driver, WAIT)
        self.driver.get(url)
        log(f"opened {url}: {self.driver.title}")

    def find(self, element_id):
        return self.driver.find_element(By.ID, element_id)

    def text_in(self, element_id, text):
        self.wait.until(seen.text_to_be_present_in_element((By.ID, element_id), text))
        log(f"#{element_id} shows {text!r}")

    def until(self, what, condition):
        """Waits until `condition(driver)` is true; `what` is for the log."""
        try:
            self.wait.until(condition)
        except Exception:
            raise AssertionError(f"waited {WAIT} s for {what}") from None
        log(what)

    def log_lines(self, text):
        """How many lines of the scroll-back (#log) contain `text`."""
        return sum(text in line.text for line in self.driver.find_elements(By.CSS_SELECTOR, "#log li"))

    def quit(self):
        for entry in self.driver.get_log("browser"):
            log(f"console: {entry.get('level')} {entry.get('message')}")
        self.driver.quit()


def run(script):
    """Runs `script(page_args)` with the command line's arguments; exits 1,
    with what went wrong, on any failure."""
    try:
        script(sys.argv[1:])
    except Exception as failure:  # the report needs whatever went wrong
        log(f"FAILED: {type(failure).__name__}: {failure}")
        sys.exit(1)
