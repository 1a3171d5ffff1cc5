#!/usr/bin/env python3
"""A real browser on chatd's page, for the integration test
browser::a_guest_in_a_real_browser_chats_with_a_telnet_user.

Usage: browser.py URL SCREENSHOT

Logs in from the page as the guest "browser" (the page contract's ids:
nick, login, say, log, users, channels), waits for tina's line, answers in
the channel, sends tina a private message (/msg), waits for tina's private
reply (a private tab with an unread count) and for carol's join notice,
and saves a screenshot, and one at a phone's size. Prints each step, a line
each, for the test's failure report.
"""

from selenium.webdriver.common.keys import Keys

from chromium import Page, log, run


def chat(args):
    url, screenshot = args
    page = Page(url)
    try:
        steps(page, screenshot)
    finally:
        page.quit()


def steps(page, screenshot):
    page.text_in("status", "Connected")
    page.find("nick").send_keys("browser")
    page.find("login").submit()
    log("logged in as browser")
    page.until("the talk box is shown", lambda d: page.find("say").is_displayed())
    page.text_in("topic", "Lobby")
    page.text_in("channels", "Weather")
    page.text_in("users", "tina")

    page.text_in("log", "hello browser")
    say = page.find("say")
    say.send_keys("hello tina", Keys.ENTER)
    page.text_in("log", "hello tina")
    say.send_keys("/msg tina psst, only for you", Keys.ENTER)
    log("sent tina a private message")
    page.text_in("tabs", "@tina")

    page.text_in("tabs", "@tina 1")
    log("tina's private reply is an unread message in its tab")
    page.text_in("log", "carol has entered Lobby")
    page.text_in("users", "carol")

    page.driver.save_screenshot(screenshot)
    log(f"saved {screenshot}")
    # A phone-sized screen: one column, the talk box still on screen.
    page.driver.set_window_size(390, 760)
    if not page.find("say").is_displayed():
        raise AssertionError("the talk box is not shown on a phone-sized screen")
    phone = screenshot.replace(".png", "-phone.png")
    page.driver.save_screenshot(phone)
    log(f"saved {phone}")


if __name__ == "__main__":
    run(chat)
