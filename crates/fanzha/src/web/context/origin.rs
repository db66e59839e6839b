//! Where a request comes from and where it may be sent back to: the same-site redirect target
//! and the client's address behind trusted proxies.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request};

/// The only redirect target fanzha takes from a request (`next` after login, after a language
/// change…): a path on this site, else `/`. A same-site path has one leading `/` (never `//` or
/// `/\`, which browsers read as another host), no `\` and no control characters — nor any of
/// these hidden behind percent-encoding, however many times encoded. The result is a valid
/// `Location` header (anything beyond visible ASCII is percent-encoded).
pub fn same_site_path(next: Option<&str>) -> String {
    match next {
        Some(n) if is_same_site_path(n) => {
            let mut out = String::with_capacity(n.len());
            for c in n.chars() {
                if c.is_ascii_graphic() {
                    out.push(c);
                } else {
                    let mut buf = [0u8; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        out.push_str(&format!("%{b:02X}"));
                    }
                }
            }
            out
        }
        _ => "/".to_string(),
    }
}

fn is_same_site_path(n: &str) -> bool {
    let plain = |s: &str| {
        s.starts_with('/')
            && !s.starts_with("//")
            && !s.contains('\\')
            && !s.chars().any(char::is_control)
    };
    let mut cur = n.to_string();
    // Each decoding must pass too; a path still changing after a few decodings is refused.
    for _ in 0..4 {
        if !plain(&cur) {
            return false;
        }
        match percent_decode(&cur) {
            Some(d) if d == cur => return true,
            Some(d) => cur = d,
            None => return false,
        }
    }
    false
}

/// `%XX` decoding of a path (no `+` rule); `None` when the bytes are not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

pub(super) fn client_ip(req: &Request, trusted: &[std::net::IpAddr]) -> String {
    let Some(peer) = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
    else {
        return "unknown".to_string();
    };
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    client_address(peer, &forwarded, trusted).to_string()
}

/// The client's address: the peer, unless the peer is a trusted proxy; then, walking
/// `X-Forwarded-For` from the right (the entry the nearest proxy appended), the first address that
/// is not itself a trusted proxy. Entries left of an untrusted or malformed one are never believed
/// (a client can write anything there).
pub fn client_address(
    peer: std::net::IpAddr,
    forwarded: &str,
    trusted: &[std::net::IpAddr],
) -> std::net::IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut client = peer;
    for entry in forwarded.rsplit(',').map(str::trim) {
        let Ok(ip) = entry.parse::<std::net::IpAddr>() else {
            break;
        };
        client = ip;
        if !trusted.contains(&ip) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_same_site_paths_are_redirect_targets() {
        for ok in [
            "/",
            "/org",
            "/org/unit/SCH1?x=1&y=%2B",
            "/a//b",
            "/reports/1#top",
        ] {
            assert_eq!(same_site_path(Some(ok)), ok, "{ok}");
        }
        assert_eq!(same_site_path(Some("/学生")), "/%E5%AD%A6%E7%94%9F");
        assert_eq!(same_site_path(Some("/a b")), "/a%20b");
        for bad in [
            "",
            "org",
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\r\nX:1",
            "https://evil.example",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%5Cevil.example",
            "/%09/evil.example",
            "/%0d%0aX:1",
            "/%252F/evil.example",
            "/%25252525252F/evil.example",
            "/%ff",
            "/x\u{7f}",
        ] {
            assert_eq!(same_site_path(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(same_site_path(None), "/");
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let proxies = [ip("10.0.0.2"), ip("10.0.0.3")];
        // (peer, X-Forwarded-For, trusted proxies, the client's address)
        let cases: [(&str, &str, &[std::net::IpAddr], &str); 7] = [
            // No trusted proxy configured, or a peer that is not one: the header is ignored.
            ("203.0.113.9", "1.2.3.4", &[], "203.0.113.9"),
            ("203.0.113.9", "1.2.3.4", &proxies, "203.0.113.9"),
            // One proxy: the entry it appended.
            ("10.0.0.2", "198.51.100.7", &proxies, "198.51.100.7"),
            // A forged entry on the left is not believed; two proxies in a row are skipped.
            (
                "10.0.0.2",
                "6.6.6.6, 198.51.100.7, 10.0.0.3",
                &proxies,
                "198.51.100.7",
            ),
            // Missing or malformed header: the proxy's own address, never a guess.
            ("10.0.0.2", "", &proxies, "10.0.0.2"),
            ("10.0.0.2", "junk", &proxies, "10.0.0.2"),
            ("10.0.0.2", "6.6.6.6, junk, 10.0.0.3", &proxies, "10.0.0.3"),
        ];
        for (peer, header, trusted, want) in cases {
            assert_eq!(
                client_address(ip(peer), header, trusted),
                ip(want),
                "{peer} / {header:?}"
            );
        }
    }
}
