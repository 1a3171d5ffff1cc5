//! The connection engine's bounds (issue #12), over real sockets: a line
//! that never ends, a client that floods faster than the hub, a client whose
//! socket is full while the rest chat on, and a lone IRC sender.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use crate::support::irc::Irc;
use crate::support::{read_until_closed, Client, TestServer};

/// The server's resident memory, from /proc.
fn rss_kib(server: &TestServer) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid()))
        .expect("read the server's /proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line")
}

/// Raised flood limits: the bounds under test are the engine's, not flood
/// control's.
const NO_FLOOD_LIMIT: &str = "[limits]\nflood_rate = 1000000.0\nflood_burst = 1000000.0";

#[test]
fn a_mebibyte_without_a_line_end_is_cut_off_and_others_carry_on() {
    let server = TestServer::start();
    let mut alice = Client::logged_in(&server, "alice");
    let mut streamer = Client::logged_in(&server, "streamer");
    alice.expect_line("<streamer has entered Lobby>");

    // 1 MiB of one line that never ends, written from another thread: the
    // server stops reading it long before the end, so the writes block.
    let mut raw = streamer.stream().try_clone().expect("clone the socket");
    let writer = thread::spawn(move || {
        let chunk = [b'x'; 16 * 1024];
        let mut written = 0;
        while written < 1024 * 1024 {
            match raw.write(&chunk) {
                Ok(n) => written += n,
                Err(_) => break,
            }
        }
        written
    });
    streamer.expect("line too long: more than 16384 bytes without a line end");
    streamer.expect_closed();
    alice.expect_line(
        "<streamer has left Lobby (line too long: more than 16384 bytes without a line end)>",
    );
    let written = writer.join().expect("the writer thread");
    assert!(written <= 1024 * 1024);

    let mut bob = Client::logged_in(&server, "bob");
    alice.expect_line("<bob has entered Lobby>");
    bob.send("still here?");
    alice.expect_line("bob [Lobby]: still here?");
}

#[test]
fn a_line_that_is_too_long_but_ends_is_refused_and_the_connection_carries_on() {
    let server = TestServer::start();
    let mut alice = Client::logged_in(&server, "alice");
    // 4 KiB: over the 1024-byte line limit, under the 16 KiB cut.
    alice.send(&"y".repeat(4096));
    alice.expect("line too long");
    alice.send("short again");
    alice.expect_line("alice [Lobby]: short again");
}

#[test]
fn a_flooding_client_cannot_grow_the_server_and_others_keep_chatting() {
    let server = TestServer::start_with(NO_FLOOD_LIMIT);
    let mut alice = Client::logged_in(&server, "alice");
    let mut bob = Client::logged_in(&server, "bob");
    alice.expect_line("<bob has entered Lobby>");
    // The flooder is alone in its channel on IRC (no echo of its own lines),
    // so only the hub's inbound side is loaded: it sends as fast as the
    // socket takes 20,000 lines and reads nothing.
    let mut flooder = Irc::logged_in(&server, "flooder");
    flooder.send("JOIN #flood");
    flooder.expect_where("its JOIN", |l| l.command == "JOIN");
    flooder.sync();
    let before = rss_kib(&server);

    let mut raw = flooder.stream().try_clone().expect("clone the socket");
    let line = format!("PRIVMSG #flood :{}\r\n", "z".repeat(400));
    let flood = thread::spawn(move || {
        let mut batch = Vec::new();
        for _ in 0..100 {
            batch.extend_from_slice(line.as_bytes());
        }
        for _ in 0..200 {
            if raw.write_all(&batch).is_err() {
                return false;
            }
        }
        true
    });
    // Others chat while it floods: each line reaches the other side.
    let mut most = before;
    for n in 0..20 {
        alice.send(&format!("ping {n}"));
        bob.expect_line(&format!("alice [Lobby]: ping {n}"));
        most = most.max(rss_kib(&server));
    }
    let flooded = flood.join().expect("the flood thread");
    assert!(flooded, "the server closed the flooder's connection");
    flooder.send("PING :after");
    flooder.expect_where("PONG after the flood", |l| {
        l.command == "PONG" && l.last() == "after"
    });
    most = most.max(rss_kib(&server));
    // Bounded inbound: the hub's queue holds at most 4,096 commands (about
    // 2 MB of these lines); without the bound this flood grew it by ~80 MB.
    let grown = most.saturating_sub(before);
    assert!(
        grown < 16 * 1024,
        "the server grew by {grown} KiB during the flood (from {before} KiB)"
    );
}

#[test]
fn a_lone_irc_sender_is_never_cut_off_as_a_slow_reader() {
    // The smallest queue allowed: the sender's own lines, never sent back to
    // it, must not count.
    let server = TestServer::start_with(&format!("{NO_FLOOD_LIMIT}\nsend_queue = \"4KiB\""));
    let mut sender = Irc::logged_in(&server, "lonely");
    sender.send("JOIN #alone");
    sender.expect_where("its JOIN", |l| l.command == "JOIN");
    sender.sync();
    for n in 0..5000 {
        sender.send(&format!("PRIVMSG #alone :line {n}"));
    }
    sender.send("PING :done");
    sender.expect_where("PONG after 5,000 lines", |l| {
        l.command == "PONG" && l.last() == "done"
    });
    assert!(!server.has_logged("send queue exceeded"));
}

#[test]
fn a_full_socket_waits_for_its_reader_while_the_hub_serves_everyone_else() {
    let server = TestServer::start_with(NO_FLOOD_LIMIT);
    let mut talker = Client::logged_in(&server, "talker");
    let mut alice = Client::logged_in(&server, "alice");
    talker.expect_line("<alice has entered Lobby>");
    // sleepy logs in with a small receive buffer, then reads nothing for a
    // while: its socket fills and the rest waits in its queue.
    let socket =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("a socket");
    socket
        .set_recv_buffer_size(4096)
        .expect("a small receive buffer");
    socket
        .connect(&server.addr().into())
        .expect("connect sleepy");
    let mut sleepy: TcpStream = socket.into();
    sleepy
        .write_all(b"sleepy\r\n")
        .expect("send sleepy's nickname");
    talker.expect_line("<sleepy has entered Lobby>");

    // 400 lines of ~1 KB (400 KB: more than the kernel buffers, less than
    // the 1 MiB queue).
    let filler = "f".repeat(1000);
    for n in 0..400 {
        talker.send(&format!("{n:03} {filler}"));
        alice.expect(&format!("talker [Lobby]: {n:03} "));
    }
    // The hub answers everyone else at once meanwhile.
    alice.send("/private talker are you there?");
    talker.expect_line("alice [**private**]: are you there?");
    talker.send("/quit bye");
    alice.expect_line("<talker has left Lobby (quit: bye)>");

    // sleepy wakes up and reads: every line is there, in order, then the quit.
    let deadline = Instant::now() + Duration::from_secs(30);
    sleepy
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("a read timeout");
    let mut got = Vec::new();
    let mut buf = [0u8; 65536];
    let end = b"<talker has left Lobby (quit: bye)>";
    while !got.windows(end.len()).any(|w| w == end) {
        assert!(Instant::now() < deadline, "sleepy never got the quit");
        match sleepy.read(&mut buf) {
            Ok(0) => panic!("sleepy's connection closed"),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => panic!("sleepy's read failed: {e}"),
        }
    }
    let text = String::from_utf8_lossy(&got);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("talker [Lobby]: "))
        .collect();
    assert_eq!(
        lines.len(),
        400,
        "sleepy got {} of the 400 lines",
        lines.len()
    );
    for (n, line) in lines.iter().enumerate() {
        assert_eq!(*line, format!("talker [Lobby]: {n:03} {filler}"));
    }
    sleepy.write_all(b"/quit\r\n").expect("sleepy quits");
    let _ = read_until_closed(&mut sleepy);
}
