//! `Config::parse` on arbitrary UTF-8 text (other inputs are skipped). Seed it
//! with `fuzz/seeds/config` and run it with `-dict=fuzz/dict/config.dict`.
//!
//! Checked:
//! - it returns (never panics), and the same text always gives the same answer;
//! - an error's Display starts with the path given, then `:` (the line) or
//!   `: ` (the key or message); a line number is within the text;
//! - an error has a message. Some TOML syntax
//!   errors come with none (`b"\r"` is refused as just `PATH:1: `).
//! - a config it accepts keeps every promise of the checks: at least one
//!   channel, names valid and unique ignoring ASCII case, the lobby one of
//!   them, limits and timeouts at their minimums, a valid argon2 cost.
#![no_main]

use std::path::Path;
use std::time::Duration;

use chatd::config::{Config, ConfigError};
use libfuzzer_sys::fuzz_target;

const PATH: &str = "/etc/chatd/chat.toml";

fn check_ok(config: &Config) {
    let limits = &config.limits;
    assert!(limits.line_length >= 64);
    assert!(limits.send_queue.0 >= 4096);
    assert!(limits.connections_per_ip >= 1);
    assert!(limits.max_connections >= 1);
    assert!(limits.nick_length >= 1);
    assert!(limits.channel_length >= 1);
    for rate in [limits.flood_rate, limits.flood_burst] {
        assert!(rate.is_finite() && rate >= 1.0, "flood {rate}");
    }
    assert!(config.idle_timeout >= Duration::from_secs(10));
    assert!(config.udp_idle_timeout >= Duration::from_secs(10));
    let accounts = &config.accounts;
    assert!(accounts.min_password_length >= 1);
    assert!(accounts.max_login_failures >= 1);
    assert!(accounts.max_concurrent_hashes >= 1);
    assert!(accounts.argon2.params().is_ok(), "{:?}", accounts.argon2);

    assert!(!config.channels.is_empty());
    for (i, channel) in config.channels.iter().enumerate() {
        assert!(!channel.name.is_empty());
        assert!(
            channel.name.chars().count() <= limits.channel_length,
            "{:?} longer than {}",
            channel.name,
            limits.channel_length
        );
        assert!(
            channel
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "channel name {:?}",
            channel.name
        );
        for other in &config.channels[..i] {
            assert!(
                !other.name.eq_ignore_ascii_case(&channel.name),
                "{:?} twice",
                channel.name
            );
        }
    }
    if let Some(lobby) = &config.lobby {
        assert!(
            config.channels.iter().any(|c| &c.name == lobby),
            "lobby {lobby:?} not a channel"
        );
    }
}

fn check_err(text: &str, error: &ConfigError) {
    let shown = error.to_string();
    let after = shown
        .strip_prefix(PATH)
        .unwrap_or_else(|| panic!("error does not start with the path: {shown:?}"));
    assert!(after.starts_with(':'), "after the path: {shown:?}");
    match error {
        ConfigError::Invalid { line, message, .. } => {
            assert!(!message.is_empty(), "no message: {shown:?}");
            let _ = message;
            if let Some(line) = *line {
                let lines = text.matches('\n').count() + 1;
                assert!(
                    (1..=lines).contains(&line),
                    "line {line} of a {lines}-line text: {shown:?}"
                );
                assert!(
                    after.starts_with(&format!(":{line}")),
                    "line not after the path: {shown:?}"
                );
            }
        }
        ConfigError::Read { .. } => panic!("parse never reads: {shown:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let first = Config::parse(Path::new(PATH), text);
    match &first {
        Ok(config) => check_ok(config),
        Err(error) => check_err(text, error),
    }
    let again = Config::parse(Path::new(PATH), text);
    match (&first, &again) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "two parses differ"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!("two parses differ: {first:?} vs {again:?}"),
    }
});
