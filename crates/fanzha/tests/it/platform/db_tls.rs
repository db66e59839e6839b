//! PostgreSQL over TLS: `sslmode=require` gets an encrypted connection, `verify-full` checks the
//! server's certificate and name against `sslrootcert`. Needs a PostgreSQL with TLS on: `.ci/run` starts
//! one with a throwaway certificate and sets `FANZHA_TEST_PG_TLS_CA` to it. Skipped with a message
//! elsewhere (SQLite has no network connection to encrypt); a failure under `CI=true`.

use fanzha::db::{Db, DbOptions};

fn with_params(url: &str, params: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{params}")
}

async fn encrypted(db: &Db) -> bool {
    sqlx::query_scalar::<_, bool>("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(&db.pool)
        .await
        .expect("pg_stat_ssl")
}

#[tokio::test]
async fn postgres_connections_can_require_and_verify_tls() {
    let Some(url) = crate::common::pg_url() else {
        eprintln!("skipped: TLS is a PostgreSQL matter (FANZHA_TEST_DATABASE_URL unset)");
        return;
    };
    let Ok(ca) = std::env::var("FANZHA_TEST_PG_TLS_CA") else {
        crate::common::skip(
            "FANZHA_TEST_PG_TLS_CA unset: a PostgreSQL with TLS and the authority of its certificate are needed",
        );
        return;
    };
    let connect = |params: String| {
        let url = with_params(&url, &params);
        async move {
            Db::connect(&DbOptions {
                url,
                schema: None,
                max_connections: 1,
            })
            .await
        }
    };
    // Encrypted, certificate not checked.
    let db = connect("sslmode=require".into())
        .await
        .expect("sslmode=require");
    assert!(
        encrypted(&db).await,
        "sslmode=require gave a plain connection"
    );
    db.pool.close().await;
    // Encrypted and the certificate checked against the given authority.
    let db = connect(format!("sslmode=verify-full&sslrootcert={ca}"))
        .await
        .expect("sslmode=verify-full with the server's authority");
    assert!(encrypted(&db).await);
    db.pool.close().await;
    // A certificate nobody vouches for is refused under verification, with an error that says so.
    let err = match connect("sslmode=verify-ca".into()).await {
        Ok(_) => panic!("an unknown authority must be refused"),
        Err(e) => e,
    };
    let msg = format!("{err:#}").to_lowercase();
    assert!(
        msg.contains("certificate") || msg.contains("tls") || msg.contains("issuer"),
        "{msg}"
    );
}
