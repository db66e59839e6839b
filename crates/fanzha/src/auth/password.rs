//! Password hashing with argon2id and random secrets for sessions and tokens.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Shortest accepted password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;

pub fn hash_password(pw: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(pw.as_bytes(), &salt)
        .expect("argon2 with default parameters cannot fail on a password")
        .to_string()
}

pub fn verify_password(pw: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => Argon2::default().verify_password(pw.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

/// True when `phc` is a password hash at all (an account may have none yet, e.g. before it is
/// activated or when it signs in only through the campus identity service).
pub fn is_hash(phc: &str) -> bool {
    PasswordHash::new(phc).is_ok()
}

/// A hash that no password matches, used to spend the same time on unknown usernames.
pub fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("not a real password, only timing"))
}

/// Why a new password is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum WeakPassword {
    TooShort,
    TooLong,
}

pub fn check_new_password(pw: &str) -> Result<(), WeakPassword> {
    let n = pw.chars().count();
    if n < MIN_PASSWORD_CHARS {
        Err(WeakPassword::TooShort)
    } else if n > 256 {
        Err(WeakPassword::TooLong)
    } else {
        Ok(())
    }
}

/// 32 random bytes, URL-safe base64.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash_password("correct horse");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn weak_passwords() {
        assert_eq!(check_new_password("short"), Err(WeakPassword::TooShort));
        assert!(check_new_password("long enough").is_ok());
    }
}
