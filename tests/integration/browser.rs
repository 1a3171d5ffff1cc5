//! A real browser in the test suite: headless Chromium (Debian's
//! `chromium` and `chromium-driver`, which .ci/run installs) on chatd's
//! page, driven over WebDriver by Selenium (the scripts in
//! tests/web_client/), chatting with telnet users. Saves screenshots under
//! target/.

use std::path::Path;
use std::time::Duration;

use crate::support::python::{python_package, ChildGuard};
use crate::support::{Client, TestServer, CHEAP};

/// The WebDriver client the browser scripts use (a pip requirement).
const SELENIUM: &str = "selenium>=4.20,<5";

/// Where the screenshot goes (the README shows it).
const SCREENSHOT: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/web-page.png");

/// The keyboard-only test's screenshots, at a desktop's and a phone's size.
const KEYBOARD_SCREENSHOT: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/web-keyboard.png");
const PHONE_SCREENSHOT: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/web-phone.png");

/// How long a line the browser says may take: as long as a step of the
/// browser script may (its WAIT), since Chromium starting beside others on
/// a busy machine takes seconds, not the harness's usual line timeout.
const BROWSER_WAIT: Duration = Duration::from_secs(20);

/// The browser door turned on.
const WEB: &str = "[web]\nenabled = true\n";

/// Starts `tests/web_client/{script}` with `args` (the first is the page's
/// address), once Chromium, its driver and Selenium are there.
fn browser(script: &str, server: &TestServer, args: &[&str]) -> ChildGuard {
    for program in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
        assert!(
            Path::new(program).exists(),
            "this test needs {program}: apt-get install chromium chromium-driver (.ci/run does)"
        );
    }
    let site = python_package("python-selenium", SELENIUM, "selenium.webdriver");
    let mut all = vec![format!("http://{}/", server.web_addr())];
    all.extend(args.iter().map(|a| a.to_string()));
    let path = format!("tests/web_client/{script}");
    ChildGuard::python(&path, &all, &site, "the browser script")
}

/// Waits for `line`, which the browser's person says or causes.
#[track_caller]
fn from_browser(client: &mut Client, line: &str) {
    client.expect_within(BROWSER_WAIT, &format!("the line {line:?}"), |got| {
        got == line
    });
}

/// Waits for the browser script to end; fails the test, with its output
/// and `witness`'s transcript, unless it ended well.
fn finished(mut browser: ChildGuard, witness: &Client) {
    let (status, output) = browser.wait();
    if !status.success() {
        witness.fail(&format!("the browser script failed ({status}):\n{output}"));
    }
}

#[test]
fn a_guest_in_a_real_browser_chats_with_a_telnet_user() {
    let server = TestServer::start_with(WEB);
    let mut tina = Client::logged_in(&server, "tina");
    let _ = std::fs::remove_file(SCREENSHOT);
    let browser = browser("browser.py", &server, &[SCREENSHOT]);

    from_browser(&mut tina, "<browser has entered Lobby>");
    tina.send("hello browser");
    from_browser(&mut tina, "browser [Lobby]: hello tina");
    from_browser(&mut tina, "browser [**private**]: psst, only for you");
    tina.send("/msg browser got it");
    from_browser(&mut tina, "-> browser [**private**]: got it");
    let _carol = Client::logged_in(&server, "carol");
    finished(browser, &tina);
    let png = std::fs::read(SCREENSHOT).expect("the screenshot was saved");
    assert!(png.starts_with(b"\x89PNG"), "{SCREENSHOT} is no PNG");
}

/// Issue 15: "reconnect with backoff after the server restarts, and a
/// clear notice while disconnected"; and the lines the history replay
/// brings again are dropped by their message ids.
#[test]
fn the_page_comes_back_after_a_restart_and_shows_no_line_twice() {
    let mut server = TestServer::start_with(WEB);
    let mut tina = Client::logged_in(&server, "tina");
    tina.send("/join Weather");
    tina.expect("Welcome to the Weather Channel");
    let browser = browser("reconnect.py", &server, &[]);
    from_browser(&mut tina, "<phoenix has entered Weather>");
    tina.send("hello phoenix");
    from_browser(&mut tina, "phoenix [Weather]: before the restart");

    server.restart_keeping_the_web_address();
    let mut tina = Client::logged_in(&server, "tina");
    tina.send("/join Weather");
    tina.expect("Welcome to the Weather Channel");
    // Kept in history: the page sees it live or in the replay when it
    // joins again, whichever comes first.
    tina.send("after the restart");
    from_browser(&mut tina, "phoenix [Weather]: back again");
    finished(browser, &tina);
}

/// Issue 15: "usable by keyboard alone and on a phone-sized screen", and
/// the member list's marks and the operators' buttons.
#[test]
fn the_page_works_by_keyboard_alone_and_on_a_phone() {
    let server = TestServer::start_with(&format!("{WEB}{CHEAP}"));
    let mut tina = Client::logged_in(&server, "tina");
    let shots = [KEYBOARD_SCREENSHOT, PHONE_SCREENSHOT];
    for shot in shots {
        let _ = std::fs::remove_file(shot);
    }
    let browser = browser("keyboard.py", &server, &shots);
    from_browser(&mut tina, "keys [Lobby]: hello from the keyboard");
    from_browser(&mut tina, "keys [Lobby]: the den is open");
    tina.send("/join Den");
    tina.expect("Welcome to the Den Channel");
    tina.send("/away back at one");
    from_browser(&mut tina, "keys [**private**]: psst from the keyboard");
    from_browser(&mut tina, "keys [Lobby]: hello from a phone");
    finished(browser, &tina);
    for shot in shots {
        let png = std::fs::read(shot).expect("the screenshot was saved");
        assert!(png.starts_with(b"\x89PNG"), "{shot} is no PNG");
    }
}
