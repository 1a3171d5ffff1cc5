//! The browser door without a browser: its HTTP (the page, `/health`, the
//! security headers, 400 on garbage, the Origin check) and its WebSocket
//! JSON, over real sockets, with telnet users in the same channels.

use serde_json::{json, Value};
use tungstenite::Message;

use crate::support::irc::Irc;
use crate::support::web::{get, handshake, http, Web};
use crate::support::{register_and_leave, Client, TestServer, CHEAP};

/// Turned on by name, so these tests do not hang on the default.
const WEB: &str = "[web]\nenabled = true\n";

#[test]
fn the_page_and_its_files_are_served_with_security_and_cache_headers() {
    let server = TestServer::start_with(WEB);
    let addr = server.web_addr();
    let page = get(addr, "/");
    assert_eq!(page.status, 200, "{page:?}");
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("cache-control"), Some("no-cache"));
    for id in [
        "nick", "password", "login", "say", "log", "users", "channels",
    ] {
        assert!(page.text().contains(&format!("id=\"{id}\"")), "no #{id}");
    }
    let script = get(addr, "/chat.js");
    assert_eq!(
        script.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    let etag = script.header("etag").expect("an ETag").to_string();
    let again = http(
        addr,
        format!("GET /chat.js HTTP/1.1\r\nHost: x\r\nIf-None-Match: {etag}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .expect("a second GET");
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    let health = get(addr, "/health");
    assert_eq!((health.status, health.text().as_str()), (200, "ok\n"));
    assert_eq!(health.header("cache-control"), Some("no-store"));
    assert_eq!(get(addr, "/nowhere").status, 404);
}

#[test]
fn malformed_http_gets_400_and_the_server_keeps_serving() {
    let server = TestServer::start_with(WEB);
    let addr = server.web_addr();
    let answer = http(addr, b"\x16\x03\x01\x00\xa5garbage\r\n\r\n").expect("an answer");
    assert_eq!(answer.status, 400, "{answer:?}");
    let answer = http(addr, b"GET / HTTP/1.1\r\nno colon\r\n\r\n").expect("an answer");
    assert_eq!(answer.status, 400, "{answer:?}");
    let huge = format!("GET / HTTP/1.1\r\nX-Big: {}\r\n\r\n", "a".repeat(20_000));
    assert_eq!(http(addr, huge.as_bytes()).expect("an answer").status, 431);
    assert_eq!(get(addr, "/health").status, 200);
    // And the other doors too.
    Client::logged_in(&server, "still_here");
}

#[test]
fn a_websocket_from_another_sites_page_is_refused() {
    let server = TestServer::start_with(&format!(
        "{WEB}allowed_origins = [\"https://friend.example\"]\n"
    ));
    let addr = server.web_addr();
    let evil = handshake(addr, "Origin: https://evil.example\r\n");
    match Web::try_connect(&server, "evil", &evil) {
        Ok(_) => server.fail("a handshake from https://evil.example was accepted"),
        Err(answer) => {
            assert_eq!(answer.status, 403, "{answer:?}");
            assert!(answer.text().contains("evil.example"), "{answer:?}");
        }
    }
    server.wait_for_log("refused");
    let friend = handshake(addr, "Origin: https://friend.example\r\n");
    assert!(Web::try_connect(&server, "friend", &friend).is_ok());
    // A client that is no browser sends no Origin.
    assert!(Web::try_connect(&server, "script", &handshake(addr, "")).is_ok());
}

#[test]
fn a_web_guest_and_a_telnet_user_see_each_others_lines() {
    let server = TestServer::start_with(WEB);
    let mut tina = Client::logged_in(&server, "tina");
    let mut webby = Web::guest(&server, "webby");
    tina.expect_line("<webby has entered Lobby>");
    tina.send("hello from telnet");
    let line = webby.expect("public", |v| v["from"] == "tina");
    assert_eq!(
        (&line["channel"], &line["text"], &line["action"]),
        (&json!("Lobby"), &json!("hello from telnet"), &json!(false)),
        "{line}"
    );
    assert!(line["id"].is_string() && line["at"].is_i64(), "{line}");
    webby.send(json!({"type": "line", "text": "hello from the browser"}));
    tina.expect_line("webby [Lobby]: hello from the browser");
    webby.send(json!({"type": "private", "to": "tina", "text": "psst <b>"}));
    tina.expect_line("webby [**private**]: psst <b>");
    tina.send("/me waves");
    let action = webby.expect("public", |v| v["action"] == true);
    assert_eq!(action["text"], "waves");
    // Telnet's commands work from the page's talk box.
    webby.send(json!({"type": "line", "text": "/users"}));
    let users = webby.expect_type("users");
    let nicks: Vec<&str> = users["users"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|u| u["nick"].as_str().unwrap_or(""))
        .collect();
    assert!(
        nicks.contains(&"tina") && nicks.contains(&"webby"),
        "{users}"
    );
}

#[test]
fn a_join_replays_the_channels_history_with_times() {
    let server = TestServer::start_with(WEB);
    let mut tina = Client::logged_in(&server, "tina");
    tina.send("/join Weather");
    tina.expect("Welcome to the Weather Channel");
    tina.send("it's raining");
    tina.expect_line("tina [Weather]: it's raining");
    let mut webby = Web::guest(&server, "webby");
    webby.send(json!({"type": "join", "channel": "weather"}));
    let joined = webby.expect("joined", |v| v["channel"]["name"] == "Weather");
    assert_eq!(joined["channel"]["description"], "Talk about the weather");
    let history = webby.expect_type("history");
    let line = &history["lines"][0];
    assert_eq!(
        (line["from"].as_str(), line["text"].as_str()),
        (Some("tina"), Some("it's raining"))
    );
    assert!(
        line["at"].as_i64().is_some_and(|at| at > 1_600_000_000),
        "{history}"
    );
    tina.expect_line("<webby has entered Weather>");
}

#[test]
fn oversize_and_binary_messages_are_closed_with_a_reason() {
    let server = TestServer::start_with(WEB);
    let mut big = Web::guest(&server, "big");
    big.send_text(&format!(
        r#"{{"type":"line","text":"{}"}}"#,
        "a".repeat(4000)
    ));
    let closed = big.expect_closed();
    assert!(
        closed.starts_with("close frame 1009: message too big"),
        "{closed}"
    );
    let mut binary = Web::guest(&server, "binary");
    binary.send_message(Message::binary(vec![0u8, 1, 2]), "(binary 00 01 02)".into());
    let closed = binary.expect_closed();
    assert!(closed.starts_with("close frame 1003: binary"), "{closed}");
    // A line over the limit but within the frame's room is an error, not a close.
    let mut long = Web::guest(&server, "long");
    long.send_text(&format!(
        r#"{{"type":"line","text":"{}"}}"#,
        "a".repeat(1100)
    ));
    let error: Value = long.expect_type("error");
    assert!(
        error["text"]
            .as_str()
            .unwrap_or("")
            .contains("line too long"),
        "{error}"
    );
    long.sync();
}

#[test]
fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
    let trusting = TestServer::start_with(&format!("{WEB}trusted_proxies = [\"127.0.0.1\"]\n"));
    let addr = trusting.web_addr();
    let request = handshake(addr, "X-Forwarded-For: 198.51.100.4, 203.0.113.9\r\n");
    let mut proxied = Web::try_connect(&trusting, "proxied", &request).expect("accepted");
    proxied.send(json!({"type": "login", "nick": "proxied"}));
    proxied.expect_type("logged_in");
    trusting.wait_for_log("login proxied from 203.0.113.9:");

    let wary = TestServer::start_with(WEB);
    let addr = wary.web_addr();
    let request = handshake(addr, "X-Forwarded-For: 203.0.113.9\r\n");
    let mut liar = Web::try_connect(&wary, "liar", &request).expect("accepted");
    liar.send(json!({"type": "login", "nick": "liar"}));
    liar.expect_type("logged_in");
    wary.wait_for_log("login liar from 127.0.0.1:");
}

#[test]
fn a_registered_nickname_logs_in_from_the_page_with_its_password_only() {
    let server = TestServer::start_with(&format!("{WEB}{CHEAP}"));
    register_and_leave(&server, "lincoln", "rail-splitter");
    let mut web = Web::connect(&server, "lincoln");
    web.send(json!({"type": "login", "nick": "lincoln"}));
    let error = web.expect_type("error");
    assert!(
        error["text"]
            .as_str()
            .unwrap_or("")
            .contains("log in with a password"),
        "{error}"
    );
    web.send(json!({"type": "login", "nick": "lincoln", "password": "wrong-one"}));
    let error = web.expect_type("error");
    assert_eq!(error["text"], "wrong password");
    web.send(json!({"type": "login", "nick": "LINCOLN", "password": "rail-splitter"}));
    assert_eq!(web.expect_type("logged_in")["nick"], "lincoln");
    web.expect_type("joined");
}

#[test]
fn a_guest_registers_from_the_page_and_the_nickname_then_needs_the_password() {
    let server = TestServer::start_with(&format!("{WEB}{CHEAP}"));
    let mut web = Web::connect(&server, "newbie");
    web.send(json!({"type": "register", "nick": "newbie", "password": "s3cret-pw"}));
    web.expect_type("logged_in");
    assert_eq!(web.expect_type("registered")["nick"], "newbie");
    web.send(json!({"type": "quit"}));
    web.expect_closed();
    let mut telnet = Client::connect(&server);
    telnet.expect_prompt(crate::support::NICK_PROMPT);
    telnet.send("newbie");
    telnet.expect_prompt("Password for newbie: ");
}

#[test]
fn without_guests_the_page_registers_as_the_telnet_prompt_would() {
    let server = TestServer::start_with(&format!("{WEB}{CHEAP}allow_guests = false\n"));
    let mut web = Web::connect(&server, "closed");
    web.send(json!({"type": "login", "nick": "closed"}));
    let error = web.expect_type("error");
    assert!(
        error["text"].as_str().unwrap_or("").contains("no guests"),
        "{error}"
    );
    web.send(json!({"type": "register", "nick": "closed", "password": "long-enough"}));
    assert_eq!(web.expect_type("registered")["nick"], "closed");
    assert_eq!(web.expect_type("logged_in")["nick"], "closed");
}

#[test]
fn failed_logins_from_the_page_are_limited_like_every_door() {
    let server = TestServer::start_with(&format!(
        "{WEB}{CHEAP}max_login_failures = 2\nlogin_failure_window = \"1h\"\n"
    ));
    register_and_leave(&server, "target", "the-real-one");
    let mut web = Web::connect(&server, "guesser");
    for guess in ["guess-one", "guess-two"] {
        web.send(json!({"type": "login", "nick": "target", "password": guess}));
        assert_eq!(web.expect_type("error")["text"], "wrong password");
    }
    // Even the right password waits now.
    web.send(json!({"type": "login", "nick": "target", "password": "the-real-one"}));
    let error = web.expect_type("error");
    assert!(
        error["text"]
            .as_str()
            .unwrap_or("")
            .contains("too many failed logins"),
        "{error}"
    );
}

#[test]
fn a_flood_from_the_page_is_cut_off_like_on_every_door() {
    let server = TestServer::start_with(&format!(
        "{WEB}[limits]\nflood_rate = 5.0\nflood_burst = 10.0\n"
    ));
    let mut tina = Client::logged_in(&server, "tina");
    let mut flooder = Web::guest(&server, "flooder");
    tina.expect_line("<flooder has entered Lobby>");
    // At once, as the text door's flood test sends its lines: one write
    // each would race the cut-off and fail on the closed socket.
    let flood: Vec<_> = (1..=200)
        .map(|n| json!({"type": "say", "text": format!("flood {n:03}")}))
        .collect();
    flooder.send_burst(&flood);
    let closed = flooder.expect_closed();
    assert!(
        closed.starts_with("close frame 1008: Excess flood"),
        "{closed}"
    );
    tina.expect_line("<flooder has left Lobby (Excess flood)>");
}

#[test]
fn connections_from_one_address_are_limited_across_doors() {
    let server = TestServer::start_with(&format!("{WEB}[limits]\nconnections_per_ip = 2\n"));
    let _telnet = Client::logged_in(&server, "tina");
    let _web = Web::guest(&server, "webby");
    let answer = get(server.web_addr(), "/");
    assert_eq!(answer.status, 503, "{answer:?}");
    assert!(
        answer
            .text()
            .contains("too many connections from your address"),
        "{answer:?}"
    );
}

#[test]
fn notices_and_ctcp_from_irc_reach_the_page_as_asides() {
    let server = TestServer::start_with(WEB);
    let mut webby = Web::guest(&server, "webby");
    let mut bot = Irc::logged_in(&server, "bot");
    webby.expect("member_joined", |v| v["nick"] == "bot");
    let fields = |v: &Value| {
        let field = |name: &str| v[name].as_str().map(str::to_string);
        (
            field("kind"),
            field("from"),
            field("channel"),
            field("text"),
        )
    };
    let some = |s: &str| Some(s.to_string());

    bot.send("NOTICE #Lobby :the build is green");
    let notice = webby.expect_type("aside");
    assert_eq!(
        fields(&notice),
        (
            some("notice"),
            some("bot"),
            some("Lobby"),
            some("the build is green")
        ),
        "{notice}"
    );
    assert!(
        notice["id"].is_string() && notice["at"].is_i64(),
        "{notice}"
    );
    bot.send("NOTICE webby :you have mail");
    let private = webby.expect_type("aside");
    assert_eq!(
        fields(&private),
        (some("notice"), some("bot"), None, some("you have mail")),
        "{private}"
    );
    assert!(private["channel"].is_null(), "{private}");
    bot.send("PRIVMSG webby :\u{1}VERSION\u{1}");
    let request = webby.expect_type("aside");
    assert_eq!(
        fields(&request),
        (some("ctcp"), some("bot"), None, some("VERSION")),
        "{request}"
    );
    bot.send("NOTICE webby :\u{1}VERSION chatbot 1.0\u{1}");
    let reply = webby.expect_type("aside");
    assert_eq!(
        fields(&reply),
        (
            some("ctcp_reply"),
            some("bot"),
            None,
            some("VERSION chatbot 1.0")
        ),
        "{reply}"
    );
}

/// What lets a page that reconnects drop what it already shows
/// (docs/web-protocol.md): a line's id and time are the same live and in
/// the history replay, also after the server restarts.
#[test]
fn a_line_has_the_same_id_live_and_in_the_replay_after_a_restart() {
    let mut server = TestServer::start_with(WEB);
    let mut tina = Client::logged_in(&server, "tina");
    tina.send("/join Weather");
    tina.expect("Welcome to the Weather Channel");
    let mut webby = Web::guest(&server, "webby");
    webby.send(json!({"type": "join", "channel": "Weather"}));
    webby.expect("joined", |v| v["channel"]["name"] == "Weather");
    tina.send("remember me");
    let live = webby.expect("public", |v| v["text"] == "remember me");

    // In order: a `kill -9` may come before the store has kept the line.
    server.terminate();
    server.restart();
    let mut again = Web::guest(&server, "webby");
    again.send(json!({"type": "join", "channel": "Weather"}));
    let history = again.expect("history", |v| v["channel"] == "Weather");
    let lines = history["lines"].as_array().expect("a list of lines");
    let Some(replayed) = lines.iter().find(|l| l["text"] == "remember me") else {
        again.fail(&format!("the replay has no \"remember me\": {history}"));
    };
    assert!(live["id"].is_string(), "{live}");
    assert_eq!(
        (&replayed["id"], &replayed["at"], &replayed["from"]),
        (&live["id"], &live["at"], &json!("tina")),
        "live {live}, replayed {replayed}"
    );
}

/// The member list's away marks follow people as they go away and come
/// back, without the page asking again.
#[test]
fn the_page_hears_when_someone_in_its_channel_goes_away_and_comes_back() {
    let server = TestServer::start_with(WEB);
    let mut webby = Web::guest(&server, "webby");
    let mut tina = Client::logged_in(&server, "tina");
    webby.expect("member_joined", |v| v["nick"] == "tina");
    tina.send("/away gone to lunch");
    let away = webby.expect_type("member_away");
    assert_eq!(
        (&away["nick"], &away["message"]),
        (&json!("tina"), &json!("gone to lunch"))
    );
    tina.send("/back");
    let back = webby.expect_type("member_away");
    assert_eq!(
        (&back["nick"], &back["message"]),
        (&json!("tina"), &Value::Null)
    );
}

/// Issue 15: "/whois (address only for server operators)", from the page.
#[test]
fn whois_from_the_page_gives_the_address_to_server_operators_only() {
    let server = TestServer::start_with(&format!("{}{WEB}", crate::moderation::oper_config()));
    let tina = Client::logged_in(&server, "tina");
    let mut webby = Web::guest(&server, "webby");
    webby.send(json!({"type": "whois", "nick": "tina"}));
    assert_eq!(webby.expect_type("whois")["user"]["nick"], "tina");
    let before = webby.sync();
    if let Some(told) = before.iter().find(|v| v["type"] == "whois_address") {
        webby.fail(&format!("a guest was told an address: {told}"));
    }
    webby.send(json!({"type": "line", "text": "/oper admin s3cret-pw"}));
    webby.expect_type("oper");
    webby.send(json!({"type": "whois", "nick": "tina"}));
    let address = webby.expect_type("whois_address");
    assert_eq!(
        (&address["nick"], &address["address"]),
        (&json!("tina"), &json!(tina.local_addr().to_string()))
    );
}
