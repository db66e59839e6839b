//! What the environment of a test run decides, in one place for every test binary (the browser
//! rigs include this file too): the database backend, and whether a skipped test is a failure.

/// `FANZHA_TEST_DATABASE_URL`: `None` when unset or empty (the tests run on SQLite); the URL
/// when it is a PostgreSQL URL. Any other value is a mistake that would otherwise run the suite
/// on SQLite while the caller believes it ran on PostgreSQL: it fails loudly.
pub fn pg_url() -> Option<String> {
    let url = std::env::var("FANZHA_TEST_DATABASE_URL").ok()?;
    if url.trim().is_empty() {
        return None;
    }
    assert!(
        url.starts_with("postgres://") || url.starts_with("postgresql://"),
        "FANZHA_TEST_DATABASE_URL must start with postgres:// or postgresql:// (or be unset for \
         SQLite); it starts with {:?}",
        url.split(':').next().unwrap_or("")
    );
    Some(url)
}

/// Whether this run is CI: `CI` set to `true` or `1`. Under CI a test that cannot run is a
/// failure, never a skip.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Says why a test is skipped, on stderr past the harness's capture; under CI panics instead.
/// Every test that may skip for a missing tool or setting calls this.
pub fn skip(why: &str) {
    assert!(!under_ci(), "CI is set and a test would be skipped: {why}");
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "\n*** SKIPPED: {why}\n");
}
