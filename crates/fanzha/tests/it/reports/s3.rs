//! Evidence images in an S3-compatible store: a real HTTP receiver on 127.0.0.1 (axum) keeps
//! objects in memory and verifies every request's AWS Signature V4 with the known secret — its own
//! verifier, written from the specification, not the app's signer — and refuses bad ones (403).
//! Uploads land in the bucket (not the data dir), are served through the app's scope checks, and
//! a wrong secret stores nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::common::*;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode as AxStatus, Uri};
use axum::response::IntoResponse;
use fanzha::auth::model::Scope;
use fanzha::config::Secret;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const AK: &str = "FZTESTACCESSKEY";
const SK: &str = "fz-test-secret/Key+123";
const BUCKET: &str = "fz-evidence";

#[derive(Clone, Default)]
struct S3 {
    objects: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    rejected: Arc<Mutex<u32>>,
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
    m.update(data.as_bytes());
    m.finalize().into_bytes().to_vec()
}

/// Verifies the SigV4 `Authorization` of a request as an S3 server does.
fn verify(method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Result<(), String> {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or("no authorization")?;
    let rest = auth
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or("not AWS4-HMAC-SHA256")?;
    let mut cred = "";
    let mut signed = "";
    let mut sig = "";
    for part in rest.split(", ") {
        if let Some(v) = part.strip_prefix("Credential=") {
            cred = v;
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed = v;
        } else if let Some(v) = part.strip_prefix("Signature=") {
            sig = v;
        }
    }
    let c: Vec<&str> = cred.split('/').collect();
    if c.len() != 5 || c[0] != AK || c[3] != "s3" || c[4] != "aws4_request" {
        return Err(format!("bad credential {cred}"));
    }
    let (date, region) = (c[1], c[2]);
    let amz_date = headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or("no x-amz-date")?;
    if !amz_date.starts_with(date) {
        return Err("date mismatch".into());
    }
    let t = chrono::NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ")
        .map_err(|e| e.to_string())?
        .and_utc();
    if (chrono::Utc::now() - t).num_minutes().abs() > 15 {
        return Err("request time too skewed".into());
    }
    let payload = headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .ok_or("no x-amz-content-sha256")?;
    if payload != hex::encode(Sha256::digest(body)) {
        return Err("payload hash mismatch".into());
    }
    let names: Vec<&str> = signed.split(';').collect();
    for required in ["host", "x-amz-content-sha256", "x-amz-date"] {
        if !names.contains(&required) {
            return Err(format!("{required} not signed"));
        }
    }
    let mut canonical_headers = String::new();
    for n in &names {
        let v = headers
            .get(*n)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| format!("signed header {n} missing"))?;
        canonical_headers.push_str(&format!("{n}:{}\n", v.trim()));
    }
    let canonical = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        method.as_str(),
        uri.path(),
        uri.query().unwrap_or(""),
        canonical_headers,
        signed,
        payload
    );
    let scope = format!("{date}/{region}/s3/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let k = hmac(format!("AWS4{SK}").as_bytes(), date);
    let k = hmac(&k, region);
    let k = hmac(&k, "s3");
    let k = hmac(&k, "aws4_request");
    let expected = hex::encode(hmac(&k, &to_sign));
    if expected != sig {
        return Err("SignatureDoesNotMatch".into());
    }
    Ok(())
}

async fn handle(
    State(s3): State<S3>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    if let Err(e) = verify(&method, &uri, &headers, &body) {
        *s3.rejected.lock().unwrap() += 1;
        return (
            AxStatus::FORBIDDEN,
            format!("<Error><Code>SignatureDoesNotMatch</Code><Message>{e}</Message></Error>"),
        )
            .into_response();
    }
    let key = uri.path().to_string();
    let mut objects = s3.objects.lock().unwrap();
    match method {
        Method::PUT => {
            objects.insert(key, body.to_vec());
            AxStatus::OK.into_response()
        }
        Method::GET => match objects.get(&key) {
            Some(b) => b.clone().into_response(),
            None => AxStatus::NOT_FOUND.into_response(),
        },
        Method::DELETE => {
            objects.remove(&key);
            AxStatus::NO_CONTENT.into_response()
        }
        _ => AxStatus::METHOD_NOT_ALLOWED.into_response(),
    }
}

async fn start_s3() -> (String, S3) {
    let s3 = S3::default();
    let app = axum::Router::new().fallback(handle).with_state(s3.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await });
    (format!("http://{addr}"), s3)
}

fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    let chunk = |b: &mut Vec<u8>, kind: &[u8], data: &[u8]| {
        b.extend_from_slice(&(data.len() as u32).to_be_bytes());
        b.extend_from_slice(kind);
        b.extend_from_slice(data);
        b.extend_from_slice(&[0, 0, 0, 0]);
    };
    chunk(&mut b, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
    chunk(&mut b, b"tEXt", b"Location\x0031.23,121.47");
    chunk(&mut b, b"IDAT", &[1, 2, 3, 4]);
    chunk(&mut b, b"IEND", &[]);
    b
}

async fn file_report(app: &TestApp, token: &str) -> i64 {
    let r = client()
        .post(app.url("/api/v1/reports"))
        .bearer_auth(token)
        .json(
            &json!({"idempotency_key": "s3-1", "link": {"address": "http://jd-refund.top/claim"}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["report_id"]
        .as_i64()
        .unwrap()
}

async fn upload(app: &TestApp, token: &str, id: i64) -> reqwest::Response {
    client()
        .post(app.url(&format!("/api/v1/reports/{id}/evidence")))
        .bearer_auth(token)
        .header("content-type", "image/png")
        .body(png())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn evidence_goes_to_the_s3_store_and_is_served_in_scope() {
    let (endpoint, s3) = start_s3().await;
    let app = spawn_app_with(
        |c| {
            c.evidence_s3_endpoint = Some(endpoint.clone());
            c.evidence_s3_bucket = Some(BUCKET.into());
            c.evidence_s3_access_key = Some(AK.into());
            c.evidence_s3_secret_key = Some(Secret::new(SK));
        },
        true,
    )
    .await;
    let s1 = app
        .token("student1", &[Scope::ReportsRead, Scope::ReportsWrite])
        .await;
    let id = file_report(&app, &s1).await;
    let r = upload(&app, &s1, id).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let e: Value = r.json().await.unwrap();
    let (eid, sha) = (
        e["id"].as_i64().unwrap(),
        e["sha256"].as_str().unwrap().to_string(),
    );
    // In the bucket under its key, metadata stripped; nothing under the data dir.
    let key = format!("/{BUCKET}/reports/{id}/{sha}.png");
    let stored = s3
        .objects
        .lock()
        .unwrap()
        .get(&key)
        .cloned()
        .expect("object stored");
    assert!(!stored.windows(8).any(|w| w == b"Location"));
    assert!(!app.dir.path().join("reports").join(id.to_string()).exists());
    assert_eq!(*s3.rejected.lock().unwrap(), 0);
    // Served by the app, after its scope checks, with the stored bytes.
    let path = format!("/api/v1/reports/{id}/evidence/{eid}");
    for user in ["student1", "police1", "counselor1"] {
        let t = app.token(user, &Scope::ALL).await;
        let r = app.api_get(&t, &path).await;
        assert_eq!(r.status(), StatusCode::OK, "{user}");
        assert_eq!(r.bytes().await.unwrap().to_vec(), stored, "{user}");
    }
    for user in ["police2", "student2", "counselor2"] {
        let t = app.token(user, &Scope::ALL).await;
        assert_eq!(
            app.api_get(&t, &path).await.status(),
            StatusCode::NOT_FOUND,
            "{user}"
        );
    }
    // The same store deletes (a signed DELETE) and then answers not found.
    let store =
        fanzha::reports::evidence_store::EvidenceStore::from_config(&app.state.config).unwrap();
    let k = format!("reports/{id}/{sha}.png");
    assert_eq!(store.get(&k).await.unwrap(), Some(stored));
    store.delete(&k).await.unwrap();
    assert!(s3.objects.lock().unwrap().is_empty());
    assert_eq!(store.get(&k).await.unwrap(), None);
    let t = app.token("police1", &Scope::ALL).await;
    assert_eq!(app.api_get(&t, &path).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(*s3.rejected.lock().unwrap(), 0);
}

#[tokio::test]
async fn a_wrong_secret_is_refused_by_the_store_and_nothing_is_recorded() {
    let (endpoint, s3) = start_s3().await;
    let app = spawn_app_with(
        |c| {
            c.evidence_s3_endpoint = Some(endpoint.clone());
            c.evidence_s3_bucket = Some(BUCKET.into());
            c.evidence_s3_access_key = Some(AK.into());
            c.evidence_s3_secret_key = Some(Secret::new("not-the-secret"));
        },
        true,
    )
    .await;
    let s1 = app
        .token("student1", &[Scope::ReportsRead, Scope::ReportsWrite])
        .await;
    let id = file_report(&app, &s1).await;
    let r = upload(&app, &s1, id).await;
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(*s3.rejected.lock().unwrap(), 1);
    assert!(s3.objects.lock().unwrap().is_empty());
    assert_eq!(app.scalar("SELECT COUNT(*) FROM report_evidence").await, 0);
    assert!(app.audit("reports.evidence").await.is_empty());
}
