//! The UDP door's `wire::decode` (any datagram, including 0 and 1 bytes) and
//! `wire::encode` (any payload).
//!
//! Checked:
//! - decode never panics; datagrams under 2 bytes, and codes the server does
//!   not take from clients, are `Unimplemented`; the request matches its code;
//! - only the first 1024 bytes count (the book's `recv` size);
//! - a login nickname holds no space, a password exists only if the payload
//!   had one; a private recipient holds no whitespace, its text no newline and
//!   no leading whitespace; `Part(Some(_))` names a channel;
//! - encode makes one datagram of at most 1024 bytes: the code, then the
//!   longest prefix of the payload that fits and ends on a char boundary;
//! - encode then decode gives the request back for a payload that fits.
#![no_main]

use chatd::door::udp::wire::{self, Request, MAX_DATAGRAM};
use libfuzzer_sys::fuzz_target;

fn check_decode(datagram: &[u8]) -> Request {
    let request = wire::decode(datagram);
    let Some((code, payload)) = (datagram.len() >= 2).then(|| {
        let cut = &datagram[..datagram.len().min(MAX_DATAGRAM)];
        (u16::from_be_bytes([cut[0], cut[1]]), &cut[2..])
    }) else {
        assert_eq!(request, Request::Unimplemented, "{datagram:?}");
        return request;
    };
    let text = String::from_utf8_lossy(payload);
    match &request {
        Request::Login { nick, password } => {
            assert_eq!(code, wire::LOGIN_REQ);
            assert!(!nick.contains(' '), "nick {nick:?}");
            assert_eq!(password.is_some(), text.contains(' '));
        }
        Request::Logoff => assert_eq!(code, wire::LOGOFF),
        Request::Join(channel) => {
            assert_eq!(code, wire::JOIN_REQ);
            assert_eq!(channel, &text);
        }
        Request::Part(channel) => {
            assert_eq!(code, wire::PART_REQ);
            assert_eq!(channel.is_none(), payload.is_empty());
            if let Some(channel) = channel {
                assert_eq!(channel, &text);
            }
        }
        Request::Public(said) => {
            assert_eq!(code, wire::SEND_PUBLIC);
            assert_eq!(said, &text);
        }
        Request::Private { to, text: said } => {
            assert_eq!(code, wire::SEND_PRIVATE);
            assert!(!to.contains(char::is_whitespace), "to {to:?}");
            assert!(!said.contains('\n'), "text {said:?}");
            assert!(!said.starts_with(char::is_whitespace), "text {said:?}");
            assert!(to.is_empty() || text.contains(to.as_str()));
        }
        Request::ListChannels => assert_eq!(code, wire::LIST_CHANNELS),
        Request::ListUsers => assert_eq!(code, wire::LIST_USERS),
        Request::StillHere => assert_eq!(code, wire::STILL_HERE),
        Request::Unimplemented => assert!(
            ![
                wire::LOGIN_REQ,
                wire::LOGOFF,
                wire::JOIN_REQ,
                wire::PART_REQ,
                wire::SEND_PUBLIC,
                wire::SEND_PRIVATE,
                wire::LIST_CHANNELS,
                wire::LIST_USERS,
                wire::STILL_HERE
            ]
            .contains(&code),
            "code {code} unimplemented"
        ),
    }
    request
}

fn check_encode(code: u16, payload: &str) -> Vec<u8> {
    let mut out = Vec::new();
    wire::encode(code, payload, &mut out);
    assert_eq!(out.len(), 1, "one datagram");
    let datagram = out.pop().unwrap();
    assert!(
        (2..=MAX_DATAGRAM).contains(&datagram.len()),
        "{} bytes",
        datagram.len()
    );
    assert_eq!(datagram[..2], code.to_be_bytes());
    let sent = std::str::from_utf8(&datagram[2..]).expect("the payload stays UTF-8");
    assert!(payload.starts_with(sent), "not a prefix");
    if sent.len() < payload.len() {
        // Cut only for room, and no more than one char's worth early.
        assert!(payload.len() > MAX_DATAGRAM - 2);
        assert!(sent.len() > MAX_DATAGRAM - 2 - 4, "cut to {}", sent.len());
    }
    datagram
}

fuzz_target!(|data: &[u8]| {
    check_decode(&[]);
    check_decode(&data[..data.len().min(1)]);
    let request = check_decode(data);
    if data.len() > MAX_DATAGRAM {
        assert_eq!(request, wire::decode(&data[..MAX_DATAGRAM]), "past 1024");
    }

    if data.len() >= 2 {
        let code = u16::from_be_bytes([data[0], data[1]]);
        let payload = String::from_utf8_lossy(&data[2..]);
        let datagram = check_encode(code, &payload);
        if let Ok(exact) = std::str::from_utf8(&data[2..]) {
            if exact.len() <= MAX_DATAGRAM - 2 {
                assert_eq!(datagram, data, "encode of a payload that fits");
                assert_eq!(wire::decode(&datagram), request, "round trip");
            }
        }
    }
});
