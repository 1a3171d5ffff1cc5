#!/usr/bin/env python3
"""The page by keyboard alone, then on a phone-sized screen, for the
integration test browser::the_page_works_by_keyboard_alone_and_on_a_phone.

Usage: keyboard.py URL SCREENSHOT PHONE_SCREENSHOT

Every key goes to whatever has the focus, as a person's would: registers
"keys" from the login form (Tab to the fields and the button, Enter), talks
in Lobby, makes the channel Den (/create), switches back to Lobby with
Alt+N and says so, switches to Den when tina comes, sees her away mark,
reaches her name in the member list with Tab, opens its menu (Kick and Ban
there, keys runs Den), closes it with Esc, opens a private tab with Enter
and whispers; in Lobby the same menu has no Kick or Ban; each nickname has
its own colour, the same wherever it is shown. Then at 375×667:
the talk box, the scroll-back and the member list are on screen, and a
line typed there is said. Saves a screenshot of each. Prints each step for
the test's failure report.
"""

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from chromium import Page, log, run

PASSWORD = "keys-only-pw"

# Whether an element is shown inside the window, with room to be used.
ON_SCREEN = """
const box = document.getElementById(arguments[0]).getBoundingClientRect();
return box.width > 0 && box.height >= arguments[1] && box.top >= 0 && box.left >= 0
  && box.bottom <= window.innerHeight && box.right <= window.innerWidth;
"""

# The colour of every nickname shown, by nickname.
NICK_COLOURS = """
const colours = {};
for (const nick of document.querySelectorAll("#log .nick, #users .nick")) {
  (colours[nick.textContent] ||= []).push(getComputedStyle(nick).color);
}
return colours;
"""


def keyboard(args):
    url, screenshot, phone = args
    page = Page(url)
    try:
        steps(page, screenshot, phone)
    finally:
        page.quit()


def press(page, *keys):
    """Keys to whatever has the focus."""
    page.driver.switch_to.active_element.send_keys(*keys)


def focused(page):
    return page.driver.switch_to.active_element


def tab_to(page, what, test, limit=40):
    """Presses Tab until `test(focused element)` holds."""
    for _ in range(limit):
        if test(focused(page)):
            log(f"Tab reached {what}")
            return
        press(page, Keys.TAB)
    raise AssertionError(f"{limit} presses of Tab never reached {what}")


def alt(page, tab):
    """Alt+N for the conversation tab named `tab` (its place in the tabs)."""
    names = [t.text.split()[0] for t in page.driver.find_elements(By.CSS_SELECTOR, "#tabs .tab")]
    number = names.index(tab) + 1
    ActionChains(page.driver).key_down(Keys.ALT).send_keys(str(number)).key_up(Keys.ALT).perform()
    log(f"Alt+{number} for {tab}")
    page.text_in("topic", tab[1:])


def is_nick(name):
    return lambda e: "nick" in (e.get_attribute("class") or "") and e.text == name and \
        e.find_elements(By.XPATH, "ancestor::ul[@id='users']")


def menu_offers(page, label):
    return page.driver.find_element(By.CSS_SELECTOR, f"#person-menu [data-do='{label}']").is_displayed()


def steps(page, screenshot, phone):
    page.text_in("status", "Connected")
    page.until("the nickname field has the focus", lambda d: focused(page).get_attribute("id") == "nick")
    press(page, "keys", Keys.TAB, PASSWORD, Keys.TAB)
    tab_to(page, "the register button", lambda e: e.get_attribute("id") == "register")
    press(page, Keys.ENTER)
    page.text_in("status", "Logged in as keys")
    page.until("the talk box has the focus", lambda d: focused(page).get_attribute("id") == "say")
    page.text_in("log", "registered")
    press(page, "hello from the keyboard", Keys.ENTER)
    page.text_in("log", "hello from the keyboard")
    press(page, "/create Den a den for keys", Keys.ENTER)
    page.text_in("topic", "Den")
    page.text_in("channels", "a den for keys")

    alt(page, "#Lobby")
    page.text_in("users", "tina")
    press(page, "the den is open", Keys.ENTER)
    page.text_in("log", "the den is open")
    page.text_in("tabs", "#Den 1")
    alt(page, "#Den")
    page.text_in("users", "away: back at one")

    tab_to(page, "tina in the member list", is_nick("tina"))
    press(page, Keys.ENTER)
    page.until("the menu is open", lambda d: page.find("person-menu").is_displayed())
    if not (menu_offers(page, "kick") and menu_offers(page, "ban")):
        raise AssertionError("Den's operator is not offered Kick and Ban")
    press(page, Keys.ESCAPE)
    page.until("Esc closed the menu, back on tina", lambda d: not page.find("person-menu").is_displayed()
               and is_nick("tina")(focused(page)))
    press(page, Keys.ENTER)
    page.until("the menu is open again", lambda d: page.find("person-menu").is_displayed())
    press(page, Keys.ENTER)  # its first item: a private message
    page.text_in("topic", "Private with tina")
    page.until("the talk box has the focus", lambda d: focused(page).get_attribute("id") == "say")
    press(page, "psst from the keyboard", Keys.ENTER)
    page.text_in("log", "psst from the keyboard")

    alt(page, "#Lobby")
    page.text_in("users", "tina")
    tab_to(page, "tina in Lobby's member list", is_nick("tina"))
    press(page, Keys.ENTER)
    page.until("the menu is open", lambda d: page.find("person-menu").is_displayed())
    if menu_offers(page, "kick") or menu_offers(page, "ban"):
        raise AssertionError("Kick or Ban is offered in Lobby, where keys is no operator")
    press(page, Keys.ESCAPE)
    colours = page.driver.execute_script(NICK_COLOURS)
    log(f"nick colours: {colours}")
    if len(set(colours.get("tina", []))) != 1 or len(set(colours.get("keys", []))) != 1 \
            or colours["tina"][0] == colours["keys"][0]:
        raise AssertionError(f"each nickname should have one colour of its own: {colours}")
    page.driver.save_screenshot(screenshot)
    log(f"saved {screenshot}")

    page.driver.set_window_size(375, 667)
    for element_id, height in (("say", 20), ("log", 120), ("users", 20)):
        page.until(f"#{element_id} is on a phone's screen",
                   lambda d: d.execute_script(ON_SCREEN, element_id, height))
    tab_to(page, "the talk box", lambda e: e.get_attribute("id") == "say")
    press(page, "hello from a phone", Keys.ENTER)
    page.text_in("log", "hello from a phone")
    page.driver.save_screenshot(phone)
    log(f"saved {phone}")


if __name__ == "__main__":
    run(keyboard)
