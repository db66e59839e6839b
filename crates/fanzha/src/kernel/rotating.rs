//! Rotating check-in codes (the "QR code that changes every 10 s" of a lecture screen or a
//! volunteer task's place).
//!
//! The code of a window is HMAC-SHA256(key of the scope, window number), where a window is 10 s of
//! the **server's** clock: the screen pulls the current code from the server, the student's phone
//! only relays it, so a phone's clock never matters. A code is accepted in its own window and the
//! one after (a scan at 9.9 s still counts), never later, so a photo of the screen relayed to a
//! friend elsewhere expires within 20 s. Each window also has a six-digit short code derived from
//! the same MAC, typed by the back row. The scope names what is checked in to (for example
//! `activity:42`), so a code of one activity is worthless for another.
//!
//! The key comes from [`crate::db::keys::server_key`]: one secret per purpose, kept in the
//! database so every process of a deployment computes the same codes.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::clock::Millis;

/// Length of one window.
pub const WINDOW_MS: Millis = 10_000;

/// The codes of one scope (an activity, a task).
#[derive(Clone)]
pub struct Rotating {
    key: Vec<u8>,
}

/// The codes to show for the current window.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Shown {
    /// The window number (server time / 10 s).
    pub window: i64,
    /// The token a QR code carries (URL-safe, 22 characters).
    pub token: String,
    /// Six digits for typing.
    pub short_code: String,
    /// When the next window starts (unix ms): the screen refreshes then.
    pub next_at: Millis,
}

impl Rotating {
    /// The codes of `scope` under a server secret.
    pub fn new(server_key: &[u8], scope: &str) -> Self {
        let mut m =
            <Hmac<Sha256> as Mac>::new_from_slice(server_key).expect("HMAC takes any key length");
        m.update(b"fanzha rotating code\0");
        m.update(scope.as_bytes());
        Rotating {
            key: m.finalize().into_bytes().to_vec(),
        }
    }

    /// The window a time falls in.
    pub fn window_of(now: Millis) -> i64 {
        now.div_euclid(WINDOW_MS)
    }

    fn mac(&self, window: i64) -> [u8; 32] {
        let mut m =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("HMAC takes any key length");
        m.update(&window.to_be_bytes());
        m.finalize().into_bytes().into()
    }

    /// The QR token of a window.
    pub fn token(&self, window: i64) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&self.mac(window)[..16])
    }

    /// The six-digit code of a window.
    pub fn short_code(&self, window: i64) -> String {
        let m = self.mac(window);
        let n = u32::from_be_bytes([m[16], m[17], m[18], m[19]]) % 1_000_000;
        format!("{n:06}")
    }

    /// What a screen shows at `now`.
    pub fn shown(&self, now: Millis) -> Shown {
        let window = Self::window_of(now);
        Shown {
            window,
            token: self.token(window),
            short_code: self.short_code(window),
            next_at: (window + 1) * WINDOW_MS,
        }
    }

    /// The window a presented token or short code belongs to, if it is the current window's or the
    /// previous one's; `None` for anything else (older, future, forged, of another scope).
    /// Surrounding spaces are ignored; comparison is in constant time.
    pub fn check(&self, presented: &str, now: Millis) -> Option<i64> {
        let p = presented.trim();
        if p.is_empty() {
            return None;
        }
        let w = Self::window_of(now);
        [w, w - 1].into_iter().find(|&win| {
            let expected = if p.len() == 6 && p.bytes().all(|b| b.is_ascii_digit()) {
                self.short_code(win)
            } else {
                self.token(win)
            };
            constant_eq(expected.as_bytes(), p.as_bytes())
        })
    }
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn current_and_previous_windows_only() {
        let r = Rotating::new(KEY, "activity:1");
        let t0 = 1_800_000_000_000;
        let s = r.shown(t0);
        assert_eq!(r.check(&s.token, t0), Some(s.window));
        assert_eq!(r.check(&s.short_code, t0), Some(s.window));
        // Still good in the next window, gone in the one after.
        assert_eq!(r.check(&s.token, t0 + WINDOW_MS), Some(s.window));
        assert_eq!(r.check(&s.token, t0 + 2 * WINDOW_MS), None);
        assert_eq!(r.check(&s.short_code, t0 + 2 * WINDOW_MS), None);
        // A code of the future (a phone clock ahead) is not accepted either.
        let future = r.shown(t0 + 2 * WINDOW_MS);
        assert_eq!(r.check(&future.token, t0), None);
        assert_eq!(s.next_at, (s.window + 1) * WINDOW_MS);
    }

    #[test]
    fn scopes_and_keys_do_not_share_codes() {
        let t0 = 1_800_000_000_000;
        let a = Rotating::new(KEY, "activity:1");
        let b = Rotating::new(KEY, "activity:2");
        let c = Rotating::new(b"another key", "activity:1");
        let s = a.shown(t0);
        assert_eq!(b.check(&s.token, t0), None);
        assert_eq!(c.check(&s.token, t0), None);
        assert_eq!(a.check("", t0), None);
        assert_eq!(a.check("not a token", t0), None);
        assert_eq!(a.check(&format!(" {} ", s.short_code), t0), Some(s.window));
        assert_eq!(s.token.len(), 22);
        assert_eq!(s.short_code.len(), 6);
    }
}
