//! The browser door's one page, compiled into the binary: HTML, CSS and
//! script written by hand (no build step, no framework, nothing from
//! another host). The page contract — element ids `nick`, `password`,
//! `login`, `say`, `log`, `users`, `channels` — is what tests and scripts
//! drive it by.

/// A file the door serves.
pub struct File {
    pub body: &'static str,
    pub content_type: &'static str,
}

pub const PAGE: File = File {
    body: include_str!("page/index.html"),
    content_type: "text/html; charset=utf-8",
};

pub const SCRIPT: File = File {
    body: include_str!("page/chat.js"),
    content_type: "text/javascript; charset=utf-8",
};

pub const STYLE: File = File {
    body: include_str!("page/chat.css"),
    content_type: "text/css; charset=utf-8",
};

impl File {
    /// A validator for caches: the content's FNV-1a hash, so a browser
    /// keeps the file until chatd serves a different one.
    pub fn etag(&self) -> String {
        let hash = self
            .body
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |hash, byte| {
                (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
            });
        format!("\"{hash:016x}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_has_its_contract_ids_and_loads_only_its_own_files() {
        for id in [
            "nick", "password", "login", "say", "log", "users", "channels",
        ] {
            assert!(
                PAGE.body.contains(&format!("id=\"{id}\"")),
                "the page has no element with id {id:?}"
            );
        }
        for tag in [
            "<script src=\"/chat.js\"",
            "<link rel=\"stylesheet\" href=\"/chat.css\"",
        ] {
            assert!(PAGE.body.contains(tag), "{tag} missing");
        }
        for file in [&PAGE, &SCRIPT, &STYLE] {
            assert!(!file.body.contains("http://") && !file.body.contains("https://"));
        }
    }

    #[test]
    fn the_script_never_puts_text_into_html() {
        assert!(!SCRIPT.body.contains("innerHTML"));
        assert!(!SCRIPT.body.contains("insertAdjacentHTML"));
        assert!(!SCRIPT.body.contains("document.write"));
    }
}
