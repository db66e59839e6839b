//! Server secrets: one per purpose, the same on every read and for concurrent first uses, and a
//! rotating code computed from it checks in the same way in every process.

use crate::common::*;
use fanzha::db::keys::server_key;
use fanzha::kernel::rotating::Rotating;

#[tokio::test]
async fn a_purpose_keeps_one_secret_even_when_first_used_at_once() {
    let app = spawn_app().await;
    let db = &app.state.db;
    let firsts = futures::future::join_all((0..8).map(|_| server_key(db, "checkin"))).await;
    let firsts: Vec<Vec<u8>> = firsts.into_iter().map(|k| k.unwrap()).collect();
    assert!(firsts.iter().all(|k| k == &firsts[0]), "one secret for all");
    assert!(firsts[0].len() >= 32);
    assert_eq!(server_key(db, "checkin").await.unwrap(), firsts[0]);
    let other = server_key(db, "another purpose").await.unwrap();
    assert_ne!(other, firsts[0], "each purpose has its own secret");

    // Two processes (two Rotating values over the same stored key) agree on the codes.
    let now = 1_800_000_000_000;
    let a = Rotating::new(&firsts[0], "activity:7").shown(now);
    let b = Rotating::new(&server_key(db, "checkin").await.unwrap(), "activity:7");
    assert_eq!(b.check(&a.token, now + 5_000), Some(a.window));
}
