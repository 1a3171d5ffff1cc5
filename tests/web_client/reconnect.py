#!/usr/bin/env python3
"""A page that outlives a server restart, for the integration test
browser::the_page_comes_back_after_a_restart_and_shows_no_line_twice.

Usage: reconnect.py URL

Logs in as the guest "phoenix", joins Weather by typing /join, waits for
tina's "hello phoenix" and answers "before the restart". The test then
restarts the server: the page must say it is disconnected (a banner and a
line in the scroll-back), reconnect by itself, log in again, join Lobby
and Weather again with Weather still on screen, show tina's "after the
restart" (live or in the history replay), and show the lines it had
before the restart once each, though the replay brings them again. Ends
by saying "back again". Prints each step for the test's failure report.
"""

from selenium.webdriver.common.keys import Keys

from chromium import Page, log, run

# Every text the banner (#offline) shows, kept by the page itself, so that
# a banner shown for a second only is not missed between two looks.
WATCH_BANNER = """
window.bannerTexts = [];
const banner = document.getElementById("offline");
new MutationObserver(() => {
  if (!banner.hidden) window.bannerTexts.push(banner.textContent);
}).observe(banner, { attributes: true, childList: true, subtree: true, characterData: true });
"""


def reconnect(args):
    (url,) = args
    page = Page(url)
    try:
        steps(page)
    finally:
        page.quit()


def steps(page):
    page.text_in("status", "Connected")
    page.find("nick").send_keys("phoenix", Keys.ENTER)
    page.text_in("status", "Logged in as phoenix")
    say = page.find("say")
    say.send_keys("/join Weather", Keys.ENTER)
    page.text_in("topic", "Weather")
    page.text_in("log", "hello phoenix")
    page.driver.execute_script(WATCH_BANNER)
    say.send_keys("before the restart", Keys.ENTER)
    page.text_in("log", "before the restart")

    page.text_in("log", "Disconnected from the server")
    page.text_in("log", "after the restart")
    page.until("the banner is gone", lambda d: not page.find("offline").is_displayed())
    banner = page.driver.execute_script("return window.bannerTexts")
    log(f"the banner said {banner}")
    if not any("Disconnected from the server" in text for text in banner):
        raise AssertionError(f"the banner never said it was disconnected: {banner}")
    page.text_in("topic", "Weather")
    page.text_in("tabs", "#Lobby")
    for line in ("hello phoenix", "before the restart", "after the restart"):
        shown = page.log_lines(line)
        if shown != 1:
            raise AssertionError(f"{line!r} is shown {shown} times, not once")
    log("each line is shown once")
    page.find("say").send_keys("back again", Keys.ENTER)
    page.text_in("log", "back again")


if __name__ == "__main__":
    run(reconnect)
