#!/usr/bin/env python3
"""A real browser on chatd's page: headless Chromium (Debian's `chromium`)
driven over WebDriver (`chromium-driver`) by Selenium from PyPI, for the
integration test browser::a_guest_in_a_real_browser_chats_with_a_telnet_user.

Usage: browser.py URL SCREENSHOT

Logs in from the page as the guest "browser" (the page contract's ids:
nick, login, say, log, users, channels), waits for tina's line, answers in
the channel, sends tina a private message (/msg), waits for tina's private
reply (a private tab with an unread count) and for carol's join notice,
and saves a screenshot, and one at a phone's size. Prints each step, a line each, for the test's
failure report; exits 0 when all is done, 1 on any failure.
"""

import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import WebDriverWait

WAIT = 20.0


def log(text):
    print(f"{time.strftime('%H:%M:%S')} {text}", flush=True)


def main():
    url, screenshot = sys.argv[1], sys.argv[2]
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                 "--disable-gpu", "--window-size=1100,700"):
        options.add_argument(flag)
    # The driver is Debian's: Selenium must not fetch one.
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        run(driver, url, screenshot)
    finally:
        for entry in driver.get_log("browser"):
            log(f"console: {entry.get('level')} {entry.get('message')}")
        driver.quit()


def run(driver, url, screenshot):
    wait = WebDriverWait(driver, WAIT)

    def text_in(element_id, text):
        wait.until(seen.text_to_be_present_in_element((By.ID, element_id), text))
        log(f"#{element_id} shows {text!r}")

    driver.get(url)
    log(f"opened {url}: {driver.title}")
    text_in("status", "Connected")
    driver.find_element(By.ID, "nick").send_keys("browser")
    driver.find_element(By.ID, "login").submit()
    log("logged in as browser")
    wait.until(seen.visibility_of_element_located((By.ID, "say")))
    text_in("topic", "Lobby")
    text_in("channels", "Weather")
    text_in("users", "tina")

    text_in("log", "hello browser")
    say = driver.find_element(By.ID, "say")
    say.send_keys("hello tina", Keys.ENTER)
    text_in("log", "hello tina")
    say.send_keys("/msg tina psst, only for you", Keys.ENTER)
    log("sent tina a private message")
    text_in("tabs", "@tina")

    text_in("tabs", "@tina 1")
    log("tina's private reply is an unread message in its tab")
    text_in("log", "carol has entered Lobby")
    text_in("users", "carol")

    driver.save_screenshot(screenshot)
    log(f"saved {screenshot}")
    # A phone-sized screen: one column, the talk box still on screen.
    driver.set_window_size(390, 760)
    say = driver.find_element(By.ID, "say")
    if not say.is_displayed():
        raise AssertionError("the talk box is not shown on a phone-sized screen")
    phone = screenshot.replace(".png", "-phone.png")
    driver.save_screenshot(phone)
    log(f"saved {phone}")


if __name__ == "__main__":
    try:
        main()
    except Exception as failure:  # the report needs whatever went wrong
        log(f"FAILED: {type(failure).__name__}: {failure}")
        sys.exit(1)
