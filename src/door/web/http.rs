//! The browser door's HTTP: a request head in (parsed by `httparse`), the
//! answer out. Pure: no sockets. Serves the one page and its two files,
//! `/health`, and decides whether a WebSocket handshake may go ahead: the
//! `Origin` check against cross-site WebSocket hijacking, and which address
//! a request really comes from behind a trusted reverse proxy.

use std::fmt;
use std::net::IpAddr;

pub use crate::model::AddressRange;

/// The longest request head read; a longer one is refused (431).
pub const MAX_HEAD: usize = 8 * 1024;
/// Headers parsed at most; more is a malformed request.
const MAX_HEADERS: usize = 48;

/// One request head, as much of it as the door uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The path without its query string.
    pub path: String,
    /// HTTP/1.`minor`.
    pub minor: u8,
    headers: Vec<(String, String)>,
}

/// What a buffer of bytes holds so far.
#[derive(Debug, PartialEq, Eq)]
pub enum Head {
    /// A complete head, and the bytes it took.
    Complete(Request, usize),
    /// Not all of it yet: read more.
    Partial,
    /// Not HTTP: answer 400 and close.
    Malformed(String),
}

/// Parses the request head at the start of `bytes`.
pub fn parse_head(bytes: &[u8]) -> Head {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let taken = match request.parse(bytes) {
        Ok(httparse::Status::Complete(taken)) => taken,
        Ok(httparse::Status::Partial) => return Head::Partial,
        Err(e) => return Head::Malformed(e.to_string()),
    };
    let (Some(method), Some(target), Some(minor)) = (request.method, request.path, request.version)
    else {
        return Head::Malformed("incomplete request line".into());
    };
    let mut kept = Vec::new();
    for header in request.headers.iter() {
        // Header values are bytes; the ones we read are ASCII, and a value
        // that is not text is as good as absent.
        if let Ok(value) = std::str::from_utf8(header.value) {
            kept.push((header.name.to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let path = target.split(['?', '#']).next().unwrap_or("").to_string();
    Head::Complete(
        Request {
            method: method.to_string(),
            path,
            minor,
            headers: kept,
        },
        taken,
    )
}

impl Request {
    /// The value of header `name` (lower case), the first when repeated.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name`, in order, repeated headers joined.
    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether a header's comma-separated tokens include `token`.
    fn has_token(&self, name: &str, token: &str) -> bool {
        self.all(name)
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    /// A WebSocket handshake (RFC 6455 §4.2.1), whatever its path.
    pub fn is_upgrade(&self) -> bool {
        self.has_token("upgrade", "websocket") && self.has_token("connection", "upgrade")
    }

    /// Whether the connection stays open for another request.
    pub fn keep_alive(&self) -> bool {
        match self.minor {
            0 => self.has_token("connection", "keep-alive"),
            _ => !self.has_token("connection", "close"),
        }
    }
}

/// Where a request is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Page,
    Script,
    Style,
    Health,
    /// The one WebSocket endpoint.
    Socket,
}

/// The WebSocket endpoint's path.
pub const SOCKET_PATH: &str = "/ws";

impl Route {
    pub fn of(path: &str) -> Option<Route> {
        match path {
            "/" | "/index.html" => Some(Route::Page),
            "/chat.js" => Some(Route::Script),
            "/chat.css" => Some(Route::Style),
            "/health" => Some(Route::Health),
            SOCKET_PATH => Some(Route::Socket),
            _ => None,
        }
    }
}

/// What the page may load and connect to: only this server. No inline
/// script or style, so text that slipped into the page could not run.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// A response: status, its type and body, and how long it may be cached.
pub struct Response<'a> {
    pub status: u16,
    pub content_type: &'static str,
    pub body: &'a [u8],
    pub cache: Cache,
    /// Sent with the body, for `If-None-Match`.
    pub etag: Option<&'a str>,
    pub keep_alive: bool,
    /// A HEAD request: the headers without the body.
    pub head_only: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cache {
    /// The page and its files: kept, but checked with the server each time
    /// (its ETag), so a new version of chatd is seen at once.
    Revalidate,
    /// Never kept: `/health`, errors.
    Never,
}

pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        304 => "Not Modified",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        426 => "Upgrade Required",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

impl Response<'_> {
    /// A plain-text answer that is never cached and closes the connection.
    pub fn text(status: u16, body: &str) -> Response<'_> {
        Response {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.as_bytes(),
            cache: Cache::Never,
            etag: None,
            keep_alive: false,
            head_only: false,
        }
    }

    /// The bytes on the wire.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        let cache = match self.cache {
            Cache::Revalidate => "no-cache",
            Cache::Never => "no-store",
        };
        let body = if self.status == 304 {
            &[][..]
        } else {
            self.body
        };
        out.push_str(&format!(
            "Content-Type: {}\r\nContent-Length: {}\r\nCache-Control: {cache}\r\n\
             Content-Security-Policy: {CONTENT_SECURITY_POLICY}\r\n\
             X-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\n\
             Referrer-Policy: no-referrer\r\n",
            self.content_type,
            body.len()
        ));
        if let Some(etag) = self.etag {
            out.push_str(&format!("ETag: {etag}\r\n"));
        }
        out.push_str(match self.keep_alive {
            true => "Connection: keep-alive\r\n\r\n",
            false => "Connection: close\r\n\r\n",
        });
        let mut bytes = out.into_bytes();
        if !self.head_only {
            bytes.extend_from_slice(body);
        }
        bytes
    }
}

/// The 101 that completes a WebSocket handshake for `key`
/// (`Sec-WebSocket-Key`), RFC 6455 §4.2.2.
pub fn switching_protocols(key: &str) -> Vec<u8> {
    let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\n\r\n"
    )
    .into_bytes()
}

/// Why a WebSocket handshake is refused, in words for the log and the
/// response body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// 403: a page from another site tried to use a visitor's browser.
    Origin(String),
    /// 400: not a handshake this server can complete.
    Handshake(&'static str),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Origin(origin) => write!(
                f,
                "WebSocket from origin {origin:?} refused: not this server's page, nor in \
                 [web] allowed_origins"
            ),
            Refusal::Handshake(why) => write!(f, "bad WebSocket handshake: {why}"),
        }
    }
}

impl Refusal {
    pub fn status(&self) -> u16 {
        match self {
            Refusal::Origin(_) => 403,
            Refusal::Handshake(_) => 400,
        }
    }
}

/// Checks a WebSocket handshake and returns its key.
///
/// A browser always sends `Origin` with a WebSocket handshake and a page
/// can't forge it, so a handshake whose origin is not this server's own
/// (the authority the browser asked for, `Host`) nor one of `allowed` is a
/// page elsewhere using a visitor's browser, and refused (cross-site
/// WebSocket hijacking). A client that is not a browser sends no `Origin`
/// and can't be made to act for anyone else, so it is let in.
pub fn check_handshake<'r>(request: &'r Request, allowed: &[String]) -> Result<&'r str, Refusal> {
    if request.method != "GET" || request.minor < 1 {
        return Err(Refusal::Handshake("it must be a GET over HTTP/1.1"));
    }
    if request.header("sec-websocket-version") != Some("13") {
        return Err(Refusal::Handshake("Sec-WebSocket-Version must be 13"));
    }
    let Some(key) = request
        .header("sec-websocket-key")
        .filter(|k| !k.is_empty())
    else {
        return Err(Refusal::Handshake("no Sec-WebSocket-Key"));
    };
    if let Some(origin) = request.header("origin") {
        if !origin_allowed(origin, request.header("host"), allowed) {
            return Err(Refusal::Origin(origin.to_string()));
        }
    }
    Ok(key)
}

/// Whether `origin` is the page's own (its authority is `host`, over http
/// or https) or listed in `allowed` (compared without case, as origins are).
pub fn origin_allowed(origin: &str, host: Option<&str>, allowed: &[String]) -> bool {
    if allowed.iter().any(|a| a.eq_ignore_ascii_case(origin)) {
        return true;
    }
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    match (authority, host) {
        (Some(authority), Some(host)) => !host.is_empty() && authority.eq_ignore_ascii_case(host),
        _ => false,
    }
}

/// The address a request really comes from. From a trusted proxy, it is
/// the rightmost `X-Forwarded-For` entry that is not itself a trusted
/// proxy (the left ones are whatever the client wrote); from anyone else
/// the header is the client's own claim and ignored.
pub fn client_address(peer: IpAddr, request: &Request, trusted: &[AddressRange]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|range| range.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let forwarded: Vec<&str> = request
        .all("x-forwarded-for")
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for entry in forwarded.iter().rev() {
        match entry.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip.to_canonical();
                if !is_trusted(client) {
                    break;
                }
            }
            // Garbage: what is left of it can't be trusted either.
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(text: &str) -> Request {
        match parse_head(text.as_bytes()) {
            Head::Complete(request, taken) => {
                assert_eq!(taken, text.len());
                request
            }
            other => panic!("expected a complete head, got {other:?}"),
        }
    }

    const HANDSHAKE: &str = "GET /ws HTTP/1.1\r\nHost: chat.example.org\r\nUpgrade: websocket\r\n\
         Connection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";

    #[test]
    fn a_head_in_pieces_is_partial_until_its_blank_line() {
        assert_eq!(parse_head(b"GET / HTTP/1.1\r\nHost: x"), Head::Partial);
        let r = request("GET /chat.js?v=2 HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "/chat.js"));
        assert_eq!(Route::of(&r.path), Some(Route::Script));
        assert!(r.keep_alive());
    }

    #[test]
    fn garbage_is_malformed_not_partial() {
        assert!(matches!(
            parse_head(b"\x16\x03\x01\x02\x00\x01\x00"),
            Head::Malformed(_)
        ));
        assert!(matches!(
            parse_head(b"GET / HTTP/1.1\r\nNo colon here\r\n\r\n"),
            Head::Malformed(_)
        ));
    }

    #[test]
    fn a_handshake_from_the_pages_own_origin_is_accepted() {
        let r = request(&format!(
            "{HANDSHAKE}Origin: https://chat.example.org\r\n\r\n"
        ));
        assert!(r.is_upgrade());
        assert_eq!(check_handshake(&r, &[]), Ok("dGhlIHNhbXBsZSBub25jZQ=="));
        // RFC 6455 §1.3's example key and answer.
        let answer = String::from_utf8(switching_protocols("dGhlIHNhbXBsZSBub25jZQ==")).unwrap();
        assert!(answer.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    }

    #[test]
    fn a_handshake_from_another_site_is_refused_unless_allowed() {
        let r = request(&format!("{HANDSHAKE}Origin: https://evil.example\r\n\r\n"));
        assert_eq!(
            check_handshake(&r, &[]),
            Err(Refusal::Origin("https://evil.example".into()))
        );
        let allowed = ["https://Evil.example".to_string()];
        assert!(check_handshake(&r, &allowed).is_ok());
        let null = request(&format!("{HANDSHAKE}Origin: null\r\n\r\n"));
        assert!(check_handshake(&null, &[]).is_err());
    }

    #[test]
    fn a_handshake_without_origin_is_no_browser_and_accepted() {
        let r = request(&format!("{HANDSHAKE}\r\n"));
        assert!(check_handshake(&r, &[]).is_ok());
        let old = request("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n");
        assert!(matches!(
            check_handshake(&old, &[]),
            Err(Refusal::Handshake(_))
        ));
    }

    #[test]
    fn forwarded_for_counts_only_from_a_trusted_proxy() {
        let trusted: Vec<AddressRange> = vec!["10.0.0.0/8".parse().unwrap()];
        let r = request(
            "GET /ws HTTP/1.1\r\nX-Forwarded-For: 6.6.6.6, 203.0.113.7\r\n\
             X-Forwarded-For: 10.1.2.3\r\n\r\n",
        );
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let stranger: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(
            client_address(proxy, &r, &trusted),
            "203.0.113.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_address(stranger, &r, &trusted), stranger);
    }

    #[test]
    fn every_response_carries_the_security_headers() {
        let bytes = Response::text(400, "bad request\n").to_bytes();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"));
        for header in [
            "Content-Security-Policy: default-src 'none';",
            "X-Content-Type-Options: nosniff\r\n",
            "Cache-Control: no-store\r\n",
            "Content-Length: 12\r\n",
            "Connection: close\r\n",
        ] {
            assert!(text.contains(header), "{header:?} missing in {text}");
        }
    }
}
