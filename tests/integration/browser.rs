//! A real browser in the test suite: headless Chromium (Debian's
//! `chromium` and `chromium-driver`, which .ci/run installs) on chatd's
//! page, driven over WebDriver by Selenium (tests/web_client/browser.py),
//! chatting with telnet users. Saves a screenshot under target/.

use std::path::Path;

use crate::support::python::{python_package, ChildGuard};
use crate::support::{Client, TestServer};

/// The WebDriver client the browser script uses (a pip requirement).
const SELENIUM: &str = "selenium>=4.20,<5";

/// Where the screenshot goes (the README shows it).
const SCREENSHOT: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/web-page.png");

#[test]
fn a_guest_in_a_real_browser_chats_with_a_telnet_user() {
    for program in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
        assert!(
            Path::new(program).exists(),
            "this test needs {program}: apt-get install chromium chromium-driver (.ci/run does)"
        );
    }
    let site = python_package("python-selenium", SELENIUM, "selenium.webdriver");
    let server = TestServer::start_with("[web]\nenabled = true\n");
    let mut tina = Client::logged_in(&server, "tina");
    let _ = std::fs::remove_file(SCREENSHOT);

    let args = [format!("http://{}/", server.web_addr()), SCREENSHOT.into()];
    let script = "tests/web_client/browser.py";
    let mut browser = ChildGuard::python(script, &args, &site, "the browser script");

    tina.expect_line("<browser has entered Lobby>");
    tina.send("hello browser");
    tina.expect_line("browser [Lobby]: hello tina");
    tina.expect_line("browser [**private**]: psst, only for you");
    tina.send("/msg browser got it");
    tina.expect_line("-> browser [**private**]: got it");
    let _carol = Client::logged_in(&server, "carol");
    let (status, output) = browser.wait();
    if !status.success() {
        tina.fail(&format!("the browser script failed ({status}):\n{output}"));
    }
    let png = std::fs::read(SCREENSHOT).expect("the screenshot was saved");
    assert!(png.starts_with(b"\x89PNG"), "{SCREENSHOT} is no PNG");
}
