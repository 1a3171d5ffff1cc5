//! `chat.toml`: the raw file as serde reads it, checked into a [`Config`] the
//! rest of the server can trust. A bad file is refused with the file, the line
//! and the key, and what a good value looks like.

use std::fmt;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use log::LevelFilter;
use serde::{Deserialize, Deserializer};
use toml::Spanned;

use crate::auth::Cost;
use crate::model::name::check_channel_name;
use crate::model::{AddressRange, ChannelSpec, HistoryConfig, OperSpec};

/// The commented example configuration; its values are the built-in defaults
/// (a test keeps the two the same). `chatd config` prints it.
pub const EXAMPLE: &str = include_str!("../chat.toml");

/// A checked configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub log_level: LevelFilter,
    pub idle_timeout: Duration,
    pub lobby: Option<String>,
    pub text_listen: SocketAddr,
    /// The book's UDP door; `None` when it is turned off.
    pub udp_listen: Option<SocketAddr>,
    pub udp_idle_timeout: Duration,
    /// The IRC door; `None` when it is turned off.
    pub irc_listen: Option<SocketAddr>,
    pub irc: IrcConfig,
    /// The browser door; `None` when it is turned off.
    pub web_listen: Option<SocketAddr>,
    pub web: WebConfig,
    pub database: PathBuf,
    pub limits: Limits,
    pub accounts: AccountsConfig,
    pub channels: Vec<ChannelSpec>,
    pub opers: Vec<OperSpec>,
    pub history: HistoryConfig,
    /// Memos kept for one off-line user at most.
    pub memos_per_recipient: usize,
}

/// How the IRC door presents itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IrcConfig {
    pub server_name: String,
    pub network: String,
    pub motd: Vec<String>,
    pub ping_interval: Duration,
}

/// Who the browser door lets in, and whom it believes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebConfig {
    /// Origins (`https://chat.example.org`) besides the page's own whose
    /// pages may open the WebSocket.
    pub allowed_origins: Vec<String>,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<AddressRange>,
}

/// Registration, passwords and guests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountsConfig {
    pub allow_guests: bool,
    pub min_password_length: usize,
    pub max_login_failures: usize,
    pub login_failure_window: Duration,
    pub argon2: Cost,
    pub max_concurrent_hashes: usize,
    /// PBKDF2 rounds of new SCRAM-SHA-256 credentials.
    pub scram_iterations: u32,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Longest line a client may send, in bytes.
    pub line_length: usize,
    /// Bytes waiting for a client before it is cut off as a slow reader
    /// ("send queue exceeded").
    pub send_queue: ByteSize,
    pub connections_per_ip: usize,
    pub max_connections: usize,
    pub nick_length: usize,
    pub channel_length: usize,
    /// Lines per second a client may send for ever…
    pub flood_rate: f64,
    /// …and lines at once above that rate; as many again in debt and the
    /// client is cut off ("Excess flood").
    pub flood_burst: f64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            line_length: 1024,
            send_queue: ByteSize(1024 * 1024),
            connections_per_ip: 16,
            max_connections: 10_000,
            nick_length: 30,
            channel_length: 32,
            flood_rate: 5.0,
            flood_burst: 20.0,
        }
    }
}

/// Why a configuration was refused; the text says where and what to do.
#[derive(Debug)]
pub enum ConfigError {
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    Invalid {
        path: PathBuf,
        /// 1-based, when the problem has a place in the file.
        line: Option<usize>,
        key: String,
        message: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Read { path, source } => {
                write!(f, "can't read {}: {source}", path.display())
            }
            ConfigError::Invalid {
                path,
                line,
                key,
                message,
            } => {
                write!(f, "{}", path.display())?;
                if let Some(line) = line {
                    write!(f, ":{line}")?;
                }
                if !key.is_empty() {
                    write!(f, ": {key}")?;
                }
                write!(f, ": {message}")
            }
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads `path`. A missing file at the default path means the built-in
    /// defaults; a missing file that was named on the command line is an error.
    pub fn load(path: &Path, named_explicitly: bool) -> Result<Config, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(path, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named_explicitly => {
                Ok(Config::default())
            }
            Err(source) => Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Parses and checks the text of a configuration file named `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let (line, key) = locate(text, e.span());
            let message = match e.message().trim() {
                // toml says nothing for some syntax errors (a stray CR, say).
                "" => "this line is not valid TOML (a stray control character?)".to_string(),
                message => in_words(message, line.and_then(|l| text.lines().nth(l - 1))),
            };
            ConfigError::Invalid {
                path: path.to_path_buf(),
                line,
                key,
                message,
            }
        })?;
        raw.check()
            .map_err(|(span, key, message)| ConfigError::Invalid {
                path: path.to_path_buf(),
                // A value checked after parsing has no span: find its key.
                line: match span {
                    Some(span) => Some(line_of(text, span.start)),
                    None => key_line(text, key),
                },
                key: key.to_string(),
                message,
            })
    }
}

impl Default for Config {
    fn default() -> Config {
        RawConfig::default()
            .check()
            .expect("the built-in defaults are valid")
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawConfig {
    log_level: Level,
    idle_timeout: HumanDuration,
    lobby: Option<Spanned<String>>,
    text: RawText,
    udp: RawUdp,
    irc: RawIrc,
    web: RawWeb,
    database: RawDatabase,
    limits: Limits,
    accounts: RawAccounts,
    channels: Vec<RawChannel>,
    opers: Vec<RawOper>,
    history: RawHistory,
    memos: RawMemos,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawHistory {
    replay: usize,
    keep: usize,
    max_age: HumanDuration,
}

impl Default for RawHistory {
    fn default() -> RawHistory {
        RawHistory {
            replay: 20,
            keep: 1000,
            max_age: HumanDuration(Duration::from_secs(30 * 86_400)),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawMemos {
    per_recipient: usize,
}

impl Default for RawMemos {
    fn default() -> RawMemos {
        RawMemos { per_recipient: 50 }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOper {
    name: Spanned<String>,
    password_hash: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawAccounts {
    allow_guests: bool,
    min_password_length: usize,
    max_login_failures: usize,
    login_failure_window: HumanDuration,
    argon2_memory_kib: u32,
    argon2_iterations: u32,
    argon2_parallelism: u32,
    max_concurrent_hashes: usize,
    scram_iterations: u32,
}

impl Default for RawAccounts {
    fn default() -> RawAccounts {
        let cost = Cost::default();
        RawAccounts {
            allow_guests: true,
            min_password_length: 8,
            max_login_failures: 5,
            login_failure_window: HumanDuration(Duration::from_secs(5 * 60)),
            argon2_memory_kib: cost.memory_kib,
            argon2_iterations: cost.iterations,
            argon2_parallelism: cost.parallelism,
            max_concurrent_hashes: 2,
            // RFC 7677 §4: at least 4096.
            scram_iterations: 4096,
        }
    }
}

impl RawAccounts {
    fn check(self) -> Result<AccountsConfig, Complaint> {
        for (key, value) in [
            ("accounts.min_password_length", self.min_password_length),
            ("accounts.max_login_failures", self.max_login_failures),
            ("accounts.max_concurrent_hashes", self.max_concurrent_hashes),
            ("accounts.scram_iterations", self.scram_iterations as usize),
        ] {
            if value == 0 {
                return Err((None, key, "must be at least 1, got 0".to_string()));
            }
        }
        let argon2 = Cost {
            memory_kib: self.argon2_memory_kib,
            iterations: self.argon2_iterations,
            parallelism: self.argon2_parallelism,
        };
        argon2.params().map_err(|why| {
            (
                None,
                "accounts.argon2_*",
                format!("{why} (memory_kib >= 8 x parallelism, iterations >= 1)"),
            )
        })?;
        Ok(AccountsConfig {
            allow_guests: self.allow_guests,
            min_password_length: self.min_password_length,
            max_login_failures: self.max_login_failures,
            login_failure_window: self.login_failure_window.0,
            argon2,
            max_concurrent_hashes: self.max_concurrent_hashes,
            scram_iterations: self.scram_iterations,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawText {
    listen: Address,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawUdp {
    enabled: bool,
    listen: Address,
    idle_timeout: HumanDuration,
}

impl Default for RawUdp {
    fn default() -> RawUdp {
        RawUdp {
            enabled: true,
            listen: Address("127.0.0.1:2027".parse().expect("valid address")),
            idle_timeout: HumanDuration(Duration::from_secs(60 * 60)),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawIrc {
    enabled: bool,
    listen: Address,
    server_name: String,
    network: String,
    motd: Vec<String>,
    ping_interval: HumanDuration,
}

impl Default for RawIrc {
    fn default() -> RawIrc {
        RawIrc {
            enabled: true,
            listen: Address("127.0.0.1:6667".parse().expect("valid address")),
            server_name: "chatd".into(),
            network: "chatd".into(),
            motd: vec![
                "Welcome to chatd. The channels are those of the book's chat server:".into(),
                "/list shows them; telnet and UDP users are in them too.".into(),
            ],
            ping_interval: HumanDuration(Duration::from_secs(120)),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawWeb {
    enabled: bool,
    listen: Address,
    allowed_origins: Vec<Spanned<String>>,
    trusted_proxies: Vec<Spanned<String>>,
}

impl Default for RawWeb {
    fn default() -> RawWeb {
        RawWeb {
            enabled: true,
            listen: Address("127.0.0.1:8080".parse().expect("valid address")),
            allowed_origins: Vec::new(),
            trusted_proxies: Vec::new(),
        }
    }
}

impl RawWeb {
    fn check(self) -> Result<(Option<SocketAddr>, WebConfig), Complaint> {
        let mut allowed_origins = Vec::new();
        for origin in self.allowed_origins {
            let span = origin.span();
            let origin = origin.into_inner();
            let authority = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            if !authority.is_some_and(|a| !a.is_empty() && !a.contains('/')) {
                return Err((
                    Some(span),
                    "web.allowed_origins",
                    format!(
                        "expected an origin like \"https://chat.example.org\" (scheme and host, \
                         no path), got {origin:?}"
                    ),
                ));
            }
            allowed_origins.push(origin);
        }
        let mut trusted_proxies = Vec::new();
        for proxy in self.trusted_proxies {
            let span = proxy.span();
            let range = proxy
                .into_inner()
                .parse()
                .map_err(|why| (Some(span), "web.trusted_proxies", why))?;
            trusted_proxies.push(range);
        }
        let listen = self.enabled.then_some(self.listen.0);
        Ok((
            listen,
            WebConfig {
                allowed_origins,
                trusted_proxies,
            },
        ))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawDatabase {
    path: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChannel {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
}

/// A check's complaint: where (if known), which key, what is wrong.
type Complaint = (Option<Range<usize>>, &'static str, String);

impl RawConfig {
    fn check(self) -> Result<Config, Complaint> {
        let limits = self.limits;
        let accounts = self.accounts.check()?;
        let (web_listen, web) = self.web.check()?;
        for (key, value, least) in [
            ("limits.line_length", limits.line_length, 64),
            ("limits.send_queue", limits.send_queue.0, 4096),
            ("limits.connections_per_ip", limits.connections_per_ip, 1),
            ("limits.max_connections", limits.max_connections, 1),
            ("limits.nick_length", limits.nick_length, 1),
            ("limits.channel_length", limits.channel_length, 1),
        ] {
            if value < least {
                return Err((None, key, format!("must be at least {least}, got {value}")));
            }
        }
        for (key, value) in [
            ("limits.flood_rate", limits.flood_rate),
            ("limits.flood_burst", limits.flood_burst),
        ] {
            if !(value >= 1.0 && value.is_finite()) {
                return Err((None, key, format!("must be at least 1, got {value}")));
            }
        }
        for (key, timeout) in [
            ("idle_timeout", self.idle_timeout),
            ("udp.idle_timeout", self.udp.idle_timeout),
            ("irc.ping_interval", self.irc.ping_interval),
        ] {
            if timeout.0 < Duration::from_secs(10) {
                return Err((None, key, "must be at least \"10s\"".to_string()));
            }
        }
        for (key, value) in [
            ("irc.server_name", &self.irc.server_name),
            ("irc.network", &self.irc.network),
        ] {
            if value.is_empty() || value.contains([' ', ':', ',']) {
                return Err((
                    None,
                    key,
                    format!("needs a name without spaces, got {value:?}"),
                ));
            }
        }
        let mut channels: Vec<ChannelSpec> = Vec::new();
        for raw in self.channels {
            let span = Some(raw.name.span());
            let name = raw.name.into_inner();
            check_channel_name(&name, limits.channel_length).map_err(|why| {
                (
                    span.clone(),
                    "channels.name",
                    format!("{why}, got {name:?}"),
                )
            })?;
            if channels.iter().any(|c| c.name.eq_ignore_ascii_case(&name)) {
                return Err((span, "channels.name", format!("{name:?} is listed twice")));
            }
            channels.push(ChannelSpec {
                name,
                description: raw.description,
            });
        }
        let mut opers = Vec::new();
        for raw in self.opers {
            let hash_span = raw.password_hash.span();
            let hash = raw.password_hash.into_inner();
            if argon2::password_hash::PasswordHash::new(&hash).is_err() {
                return Err((
                    Some(hash_span),
                    "opers.password_hash",
                    "expected an argon2 PHC string like \"$argon2id$v=19$...\"; make one with \
                     `chatd admin hash`"
                        .to_string(),
                ));
            }
            opers.push(OperSpec {
                name: raw.name.into_inner(),
                password_hash: hash,
            });
        }
        let (lobby, lobby_span) = match self.lobby {
            Some(spanned) => {
                let span = spanned.span();
                (spanned.into_inner(), Some(span))
            }
            // `channels = []`: a server whose channels are all made by
            // their users has no lobby unless one is named (issue 14).
            None if channels.is_empty() => (String::new(), None),
            None => (DEFAULT_LOBBY.to_string(), None),
        };
        let lobby = match lobby.as_str() {
            "" => None,
            wanted => match channels.iter().find(|c| c.name.eq_ignore_ascii_case(wanted)) {
                Some(channel) => Some(channel.name.clone()),
                None => {
                    return Err((
                        lobby_span,
                        "lobby",
                        format!("{wanted:?} is not one of the [[channels]]; add it there, or set lobby = \"\" for none"),
                    ))
                }
            },
        };
        Ok(Config {
            log_level: self.log_level.0,
            idle_timeout: self.idle_timeout.0,
            lobby,
            text_listen: self.text.listen.0,
            udp_listen: self.udp.enabled.then_some(self.udp.listen.0),
            udp_idle_timeout: self.udp.idle_timeout.0,
            irc_listen: self.irc.enabled.then_some(self.irc.listen.0),
            irc: IrcConfig {
                server_name: self.irc.server_name,
                network: self.irc.network,
                motd: self.irc.motd,
                ping_interval: self.irc.ping_interval.0,
            },
            web_listen,
            web,
            database: self.database.path,
            limits,
            accounts,
            channels,
            opers,
            history: HistoryConfig {
                replay: self.history.replay,
                keep: self.history.keep.max(self.history.replay),
                max_age: self.history.max_age.0,
            },
            memos_per_recipient: self.memos.per_recipient,
        })
    }
}

const DEFAULT_LOBBY: &str = "Lobby";

impl Default for RawConfig {
    fn default() -> RawConfig {
        let channel = |name: &str, description: &str| RawChannel {
            name: Spanned::new(0..0, name.to_string()),
            description: description.to_string(),
        };
        RawConfig {
            log_level: Level(LevelFilter::Info),
            idle_timeout: HumanDuration(Duration::from_secs(30 * 60)),
            lobby: None,
            text: RawText::default(),
            udp: RawUdp::default(),
            irc: RawIrc::default(),
            web: RawWeb::default(),
            database: RawDatabase::default(),
            limits: Limits::default(),
            accounts: RawAccounts::default(),
            opers: Vec::new(),
            history: RawHistory::default(),
            memos: RawMemos::default(),
            channels: vec![
                channel(DEFAULT_LOBBY, "Where everyone starts: say hello"),
                channel("CurrentEvents", "Discussion of current events"),
                channel("Weather", "Talk about the weather"),
                channel("Gardening", "For those with the green thumb"),
                channel("Hobbies", "For hobbyists of all types"),
                channel("Pets", "For our furry and feathered friends"),
            ],
        }
    }
}

impl Default for RawText {
    fn default() -> RawText {
        RawText {
            listen: Address("127.0.0.1:2027".parse().expect("valid address")),
        }
    }
}

impl Default for RawDatabase {
    fn default() -> RawDatabase {
        RawDatabase {
            path: PathBuf::from("chat.db"),
        }
    }
}

/// A socket address, refused with an example of a good one.
struct Address(SocketAddr);

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Address, D::Error> {
        let text = String::deserialize(d)?;
        parse_listen(&text)
            .map(Address)
            .map_err(serde::de::Error::custom)
    }
}

/// Parses an address to listen on, as chat.toml and the `--…listen` flags
/// take it: `127.0.0.1:2027`, `[::1]:2027`, or a host name of this machine
/// with a port, like `localhost:2027` (the README's `nc localhost 2027`
/// must be writable the same way in the file, issue #17). A name is
/// resolved once, at start: its first loopback address, or else the first
/// one this host can bind.
pub fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = text.parse() {
        return Ok(addr);
    }
    let hint = "expected an address like \"127.0.0.1:2027\", \"[::1]:2027\" or \"localhost:2027\"";
    let (host, port) = match text.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => (host, port),
        _ => return Err(format!("{hint}, got {text:?}")),
    };
    let found: Vec<SocketAddr> = std::net::ToSocketAddrs::to_socket_addrs(text)
        .map_err(|e| format!("can't resolve {host:?} ({e}); {hint}"))?
        .collect();
    let local = found.iter().find(|a| a.ip().is_loopback()).or_else(|| {
        found
            .iter()
            .find(|a| std::net::UdpSocket::bind(SocketAddr::new(a.ip(), 0)).is_ok())
    });
    local.copied().ok_or_else(|| {
        format!("{host:?} is not an address of this machine, so chatd can't listen on port {port} there; {hint}")
    })
}

/// A log level by name.
struct Level(LevelFilter);

impl<'de> Deserialize<'de> for Level {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Level, D::Error> {
        let text = String::deserialize(d)?;
        parse_level(&text)
            .map(Level)
            .map_err(serde::de::Error::custom)
    }
}

/// Parses a log level name as the config file and `--log-level` take it.
pub fn parse_level(text: &str) -> Result<LevelFilter, String> {
    text.parse().map_err(|_| {
        format!("expected one of \"off\", \"error\", \"warn\", \"info\", \"debug\", \"trace\", got {text:?}")
    })
}

/// A duration written for people: `"90s"`, `"15m"`, `"2h"`, `"1h30m"`, `"1d"`.
#[derive(Clone, Copy)]
pub struct HumanDuration(pub Duration);

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<HumanDuration, D::Error> {
        // Any value, so that `idle_timeout = 900` is told what to write
        // rather than which type serde expected.
        let written = match toml::Value::deserialize(d)? {
            toml::Value::String(text) => match parse_duration(&text) {
                Some(duration) => return Ok(HumanDuration(duration)),
                None => format!("{text:?}"),
            },
            other => other.to_string(),
        };
        Err(serde::de::Error::custom(format!(
            "write a duration like \"15m\" (in quotes; s, m, h and d, as in \"90s\", \"1h30m\", \"1d\"), got {written}"
        )))
    }
}

/// A size written for people: `"1MiB"`, `"512KiB"`, `"65536"` (bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByteSize(pub usize);

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ByteSize, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Bytes(u64),
            Text(String),
        }
        let parsed = match Written::deserialize(d)? {
            Written::Bytes(n) => usize::try_from(n).ok(),
            Written::Text(text) => parse_size(&text),
        };
        parsed.map(ByteSize).ok_or_else(|| {
            serde::de::Error::custom("write a size like \"1MiB\", \"256KiB\" or a number of bytes")
        })
    }
}

/// Parses `"1MiB"`-style sizes: a whole number, then B, KiB, MiB or GiB
/// (KB, MB, GB and K, M, G are taken as the same binary units).
pub fn parse_size(text: &str) -> Option<usize> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let number: usize = text[..digits].parse().ok()?;
    let unit = match text[digits..].trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return None,
    };
    number.checked_mul(unit)
}

/// Parses `"1h30m"`-style durations: numbers each followed by s, m, h or d.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let mut total = 0u64;
    let mut number: Option<u64> = None;
    for c in text.trim().chars() {
        if let Some(digit) = c.to_digit(10) {
            number = Some(
                number
                    .unwrap_or(0)
                    .checked_mul(10)?
                    .checked_add(digit.into())?,
            );
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return None,
        };
        total = total.checked_add(number.take()?.checked_mul(unit)?)?;
    }
    match number {
        // A trailing number without a unit is ambiguous: refuse it.
        Some(_) => None,
        None if text.trim().is_empty() => None,
        None => Some(Duration::from_secs(total)),
    }
}

/// `path` from the root, for messages and logs that must say which file
/// is meant whatever the reader's current directory; as given if that fails.
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A serde or toml message in a person's words: the value expected as
/// one would write it, never a Rust type name (`usize`, `f64`); `source`
/// is the line the error is on, when known.
fn in_words(message: &str, source: Option<&str>) -> String {
    // A bare word where a value goes (`allow_guests = yes`) is a syntax
    // error to toml; say what the values are.
    let value = source
        .and_then(|l| l.split_once('='))
        .map(|(_, v)| v.trim())
        .unwrap_or("");
    if !value.is_empty() && value.chars().all(|c| c.is_ascii_alphabetic()) {
        return match value.to_ascii_lowercase().as_str() {
            "yes" | "no" | "on" | "off" | "true" | "false" => {
                format!("write true or false (lower case, without quotes), got {value}")
            }
            _ => format!("text goes in quotes: \"{value}\"; a switch is true or false"),
        };
    }
    let Some((got, wanted)) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
        .and_then(|m| m.split_once(", expected "))
    else {
        return message.to_string();
    };
    let wanted = match wanted {
        "usize" | "u64" | "u32" | "u16" | "u8" | "i64" | "i32" => {
            let most = match wanted {
                "u32" => " up to 4294967295",
                "u16" => " up to 65535",
                "u8" => " up to 255",
                _ => "",
            };
            format!("a whole number{most}, without quotes")
        }
        "f64" | "f32" => "a number, without quotes".to_string(),
        "a boolean" => "true or false, without quotes".to_string(),
        "a string" => "text in quotes".to_string(),
        "a sequence" => "a list in brackets, like [\"a\", \"b\"]".to_string(),
        other if other.starts_with("struct ") => "a table of keys".to_string(),
        other => other.to_string(),
    };
    // "string \"8\"", "integer `900`", "boolean `true`": the value as written.
    let got = match got.split_once(' ') {
        Some((_, value)) => value.trim_matches('`'),
        None => got,
    };
    format!("expected {wanted}, got {got}")
}

/// The line where `key` (`table.key`, or a top-level key; a trailing `*`
/// matches any key it starts) is set, for complaints found after parsing.
fn key_line(text: &str, key: &str) -> Option<usize> {
    let (table, name) = key.rsplit_once('.').unwrap_or(("", key));
    let mut current = String::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('[') {
            current = line.trim_matches(['[', ']', ' ']).to_string();
            continue;
        }
        let Some((written, _)) = line.split_once('=') else {
            continue;
        };
        let written = written.trim().trim_matches('"');
        let named = match name.strip_suffix('*') {
            Some(prefix) => written.starts_with(prefix),
            None => written == name,
        };
        if named && current == table {
            return Some(n + 1);
        }
    }
    None
}

/// The 1-based line of byte `offset`.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The line and key an error's span points at: the key is whatever stands
/// before `=` on that line (or the table header there).
fn locate(text: &str, span: Option<Range<usize>>) -> (Option<usize>, String) {
    let Some(span) = span else {
        return (None, String::new());
    };
    let line = line_of(text, span.start);
    let source = text.lines().nth(line - 1).unwrap_or("").trim();
    let key = match source.split_once('=') {
        Some((key, _)) => key.trim(),
        None => source.trim_matches(['[', ']']),
    };
    // Only what looks like a key is named: not a comment, not stray bytes.
    let looks_like_key = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.\"' ".contains(c));
    let key = if looks_like_key { key } else { "" };
    (Some(line), key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(Path::new("chat.toml"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn the_shipped_chat_toml_is_the_built_in_default() {
        assert_eq!(parse(EXAMPLE).unwrap(), Config::default());
    }

    #[test]
    fn an_empty_file_means_defaults() {
        assert_eq!(parse("").unwrap(), Config::default());
    }

    #[test]
    fn defaults_have_the_books_channels_and_a_lobby() {
        let config = Config::default();
        let names: Vec<&str> = config.channels.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Lobby",
                "CurrentEvents",
                "Weather",
                "Gardening",
                "Hobbies",
                "Pets"
            ]
        );
        assert_eq!(config.lobby.as_deref(), Some("Lobby"));
        assert_eq!(config.text_listen.to_string(), "127.0.0.1:2027");
    }

    #[test]
    fn a_bad_duration_names_file_line_and_key() {
        let err = parse("log_level = \"info\"\nidle_timeout = \"fifteen\"\n").unwrap_err();
        assert!(
            err.starts_with("chat.toml:2: idle_timeout: write a duration like \"15m\""),
            "{err}"
        );
        assert!(err.contains("\"fifteen\""), "{err}");
    }

    #[test]
    fn an_unknown_key_is_refused_with_its_line() {
        let err = parse("[text]\nlisten = \"127.0.0.1:1\"\nlisten_port = 3\n").unwrap_err();
        assert!(
            err.starts_with("chat.toml:3: listen_port: unknown field"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_address_says_what_one_looks_like() {
        let err = parse("[text]\nlisten = \"localhost\"\n").unwrap_err();
        assert!(
            err.starts_with("chat.toml:2: listen: expected an address"),
            "{err}"
        );
    }

    #[test]
    fn a_local_host_name_is_an_address() {
        let config = parse("[text]\nlisten = \"localhost:9127\"\n").unwrap();
        assert!(config.text_listen.ip().is_loopback(), "{config:?}");
        assert_eq!(config.text_listen.port(), 9127);
    }

    #[test]
    fn a_wrong_type_is_refused() {
        let err = parse("[limits]\nline_length = \"long\"\n").unwrap_err();
        assert!(err.starts_with("chat.toml:2: line_length:"), "{err}");
    }

    #[test]
    fn channel_problems_point_at_the_channel() {
        let text = "lobby = \"\"\n[[channels]]\nname = \"a b\"\n";
        let err = parse(text).unwrap_err();
        assert!(err.starts_with("chat.toml:3: channels.name:"), "{err}");
        let twice = "lobby = \"\"\n[[channels]]\nname = \"x\"\n[[channels]]\nname = \"X\"\n";
        let err = parse(twice).unwrap_err();
        assert!(
            err.starts_with("chat.toml:5: channels.name: \"X\" is listed twice"),
            "{err}"
        );
    }

    #[test]
    fn no_permanent_channels_is_a_server_without_a_lobby() {
        let config = parse("channels = []\n").unwrap();
        assert!(config.channels.is_empty());
        assert_eq!(config.lobby, None);
        let err = parse("lobby = \"Lobby\"\nchannels = []\n").unwrap_err();
        assert!(
            err.contains("\"Lobby\" is not one of the [[channels]]"),
            "{err}"
        );
    }

    #[test]
    fn the_lobby_must_be_a_channel() {
        let err = parse("lobby = \"Nowhere\"\n").unwrap_err();
        assert!(
            err.starts_with("chat.toml:1: lobby: \"Nowhere\" is not one"),
            "{err}"
        );
        let none = parse("lobby = \"\"\n").unwrap();
        assert_eq!(none.lobby, None);
        let cased = parse("lobby = \"weather\"\n").unwrap();
        assert_eq!(cased.lobby.as_deref(), Some("Weather"));
    }

    #[test]
    fn the_default_argon2_cost_is_owasps_and_a_bad_one_is_refused() {
        assert_eq!(Config::default().accounts.argon2, Cost::default());
        let err = parse("[accounts]\nargon2_memory_kib = 1\n").unwrap_err();
        assert!(
            err.starts_with("chat.toml:2: accounts.argon2_*: invalid argon2 cost"),
            "{err}"
        );
    }

    #[test]
    fn a_stray_control_character_is_refused_with_a_reason() {
        for text in ["\r", "lobby = \"Lobby\"\n\rlobby=\"x\"\n", "# \u{1b}[31m\n"] {
            let err = parse(text).unwrap_err();
            assert!(!err.trim_end().ends_with(':'), "no reason given: {err:?}");
            assert!(
                !err.contains('\u{1b}'),
                "stray bytes named as a key: {err:?}"
            );
        }
    }

    #[test]
    fn limits_have_floors() {
        let err = parse("[limits]\nsend_queue = 0\n").unwrap_err();
        assert_eq!(
            err,
            "chat.toml:2: limits.send_queue: must be at least 4096, got 0"
        );
    }

    // Issue #16 point 6 and issue #17: where, and in a person's words.
    #[test]
    fn range_errors_name_their_line() {
        let err =
            parse("lobby = \"Lobby\"\n[limits]\nnick_length = 30\nline_length = 10\n").unwrap_err();
        assert_eq!(
            err,
            "chat.toml:4: limits.line_length: must be at least 64, got 10"
        );
        let err = parse("[accounts]\nmax_login_failures = 0\n").unwrap_err();
        assert!(
            err.starts_with("chat.toml:2: accounts.max_login_failures:"),
            "{err}"
        );
        let err = parse("idle_timeout = \"5s\"\n").unwrap_err();
        assert!(
            err.starts_with("chat.toml:1: idle_timeout: must be at least"),
            "{err}"
        );
    }

    #[test]
    fn type_errors_say_what_to_write_without_rust_type_names() {
        let cases = [
            ("idle_timeout = 900\n", "chat.toml:1: idle_timeout: write a duration like \"15m\""),
            (
                "[accounts]\nmin_password_length = \"8\"\n",
                "chat.toml:2: min_password_length: expected a whole number, without quotes, got \"8\"",
            ),
            (
                "[accounts]\nallow_guests = yes\n",
                "chat.toml:2: allow_guests: write true or false",
            ),
            (
                "[accounts]\nallow_guests = \"yes\"\n",
                "chat.toml:2: allow_guests: expected true or false, without quotes, got \"yes\"",
            ),
            ("[limits]\nflood_rate = \"fast\"\n", "chat.toml:2: flood_rate: expected a number"),
            ("[limits]\nline_length = -1\n", "chat.toml:2: line_length: expected a whole number"),
        ];
        for (text, start) in cases {
            let err = parse(text).unwrap_err();
            assert!(err.starts_with(start), "{text:?} gave {err:?}");
            for word in ["usize", "u32", "u64", "f64", "a boolean", "struct"] {
                assert!(!err.contains(word), "{text:?} gave {err:?}");
            }
        }
        let err = parse("idle_timeout = \"fifteen\"\n").unwrap_err();
        assert!(err.contains("\"1d\""), "the hint lists days: {err}");
    }

    #[test]
    fn durations_read_like_people_write_them() {
        let secs = |s| parse_duration(s).map(|d| d.as_secs());
        assert_eq!(secs("90s"), Some(90));
        assert_eq!(secs("15m"), Some(900));
        assert_eq!(secs("1h30m"), Some(5400));
        assert_eq!(secs("1d"), Some(86_400));
        assert_eq!(secs("15"), None);
        assert_eq!(secs(""), None);
        assert_eq!(secs("m"), None);
        assert_eq!(secs("fifteen"), None);
    }
}
