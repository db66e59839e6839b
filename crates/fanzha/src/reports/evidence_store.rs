//! Where evidence images live: the data dir (default) or an S3-compatible object store when
//! `evidence_s3_endpoint` and `evidence_s3_bucket` are configured. Objects are addressed by key
//! `reports/<report id>/<sha256>.<ext>`; the app reads them back and serves them itself, after
//! its scope checks — the store is never exposed to browsers.
//!
//! The S3 backend speaks path-style `PUT/GET/DELETE <endpoint>/<bucket>/<key>` signed with AWS
//! Signature Version 4 (implemented here over `hmac`/`sha2`, payload hash signed), as MinIO, Ceph
//! RGW, SeaweedFS and Garage accept. Plain HTTP only (no TLS client in this build).

use crate::kernel::ids::ReportId;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::config::{Config, Secret};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("evidence store: {0}")]
    Io(#[from] std::io::Error),
    #[error("evidence store: {0}")]
    Http(String),
    #[error("evidence store configuration: {0}")]
    Config(String),
}

impl From<StoreError> for crate::error::AppError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "evidence store");
        crate::error::AppError::internal()
    }
}

/// The S3 settings of one store.
#[derive(Clone, Debug)]
pub struct S3Settings {
    /// `http(s)://host[:port]`, without the bucket.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: Secret,
}

#[derive(Clone, Debug)]
pub enum EvidenceStore {
    /// Files under `<dir>/<key>`, written durably (fsync, rename).
    Fs(PathBuf),
    S3(S3Settings),
}

fn client() -> &'static reqwest::Client {
    static C: OnceLock<reqwest::Client> = OnceLock::new();
    C.get_or_init(|| {
        reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_default()
    })
}

/// The key of an evidence image.
pub fn key_of(report_id: ReportId, sha: &str, media_type: &str) -> String {
    let ext = match media_type {
        "image/png" => "png",
        "image/webp" => "webp",
        _ => "jpg",
    };
    format!("reports/{report_id}/{sha}.{ext}")
}

impl EvidenceStore {
    /// S3 when an endpoint is configured (bucket and both keys then required), else the data dir.
    pub fn from_config(c: &Config) -> Result<EvidenceStore, StoreError> {
        let Some(endpoint) = c
            .evidence_s3_endpoint
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
        else {
            return Ok(EvidenceStore::Fs(c.data_dir.clone()));
        };
        // https through rustls with the bundled Mozilla roots, or plain http on a private network.
        if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
            return Err(StoreError::Config(
                "evidence_s3_endpoint must be http://host[:port] or https://host[:port]".into(),
            ));
        }
        let need = |v: &Option<String>, name: &str| {
            v.as_deref()
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .ok_or_else(|| {
                    StoreError::Config(format!("{name} is required with evidence_s3_endpoint"))
                })
        };
        let secret = c
            .evidence_s3_secret_key
            .clone()
            .filter(|s| !s.expose().is_empty())
            .ok_or_else(|| {
                StoreError::Config(
                    "evidence_s3_secret_key is required with evidence_s3_endpoint".into(),
                )
            })?;
        Ok(EvidenceStore::S3(S3Settings {
            endpoint: endpoint.trim_end_matches('/').to_string(),
            bucket: need(&c.evidence_s3_bucket, "evidence_s3_bucket")?,
            region: c.evidence_s3_region.trim().to_string(),
            access_key: need(&c.evidence_s3_access_key, "evidence_s3_access_key")?,
            secret_key: secret,
        }))
    }

    pub fn name(&self) -> &'static str {
        match self {
            EvidenceStore::Fs(_) => "filesystem",
            EvidenceStore::S3(_) => "s3",
        }
    }

    /// Stores the object durably (the file is fsynced / the store answered 2xx) before returning.
    pub async fn put(&self, key: &str, bytes: Vec<u8>, media_type: &str) -> Result<(), StoreError> {
        match self {
            EvidenceStore::Fs(dir) => {
                let path = dir.join(key);
                tokio::task::spawn_blocking(move || super::evidence::write(&path, &bytes))
                    .await
                    .map_err(|e| StoreError::Http(e.to_string()))??;
                Ok(())
            }
            EvidenceStore::S3(s) => {
                let r = s3_request(s, reqwest::Method::PUT, key, bytes, Some(media_type)).await?;
                if r.status().is_success() {
                    Ok(())
                } else {
                    Err(StoreError::Http(format!("PUT {key}: {}", r.status())))
                }
            }
        }
    }

    /// The object, or `None` when there is none under this key.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self {
            EvidenceStore::Fs(dir) => match tokio::fs::read(dir.join(key)).await {
                Ok(b) => Ok(Some(b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e.into()),
            },
            EvidenceStore::S3(s) => {
                let r = s3_request(s, reqwest::Method::GET, key, Vec::new(), None).await?;
                match r.status() {
                    st if st.is_success() => Ok(Some(
                        r.bytes()
                            .await
                            .map_err(|e| StoreError::Http(e.to_string()))?
                            .to_vec(),
                    )),
                    reqwest::StatusCode::NOT_FOUND => Ok(None),
                    st => Err(StoreError::Http(format!("GET {key}: {st}"))),
                }
            }
        }
    }

    /// Removes the object (absent is fine).
    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match self {
            EvidenceStore::Fs(dir) => match tokio::fs::remove_file(dir.join(key)).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
                _ => Ok(()),
            },
            EvidenceStore::S3(s) => {
                let r = s3_request(s, reqwest::Method::DELETE, key, Vec::new(), None).await?;
                if r.status().is_success() || r.status() == reqwest::StatusCode::NOT_FOUND {
                    Ok(())
                } else {
                    Err(StoreError::Http(format!("DELETE {key}: {}", r.status())))
                }
            }
        }
    }
}

async fn s3_request(
    s: &S3Settings,
    method: reqwest::Method,
    key: &str,
    body: Vec<u8>,
    content_type: Option<&str>,
) -> Result<reqwest::Response, StoreError> {
    let path = format!(
        "/{}/{}",
        uri_encode(&s.bucket, false),
        uri_encode(key, true)
    );
    let url = format!("{}{}", s.endpoint, path);
    let host = host_of(&s.endpoint)?;
    let now = chrono::Utc::now();
    let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
    let payload = hex::encode(Sha256::digest(&body));
    let mut headers = vec![
        ("host".to_string(), host),
        ("x-amz-content-sha256".to_string(), payload.clone()),
        ("x-amz-date".to_string(), amz_date.clone()),
    ];
    if let Some(ct) = content_type {
        headers.push(("content-type".to_string(), ct.to_string()));
    }
    let auth = authorization(
        method.as_str(),
        &path,
        "",
        &headers,
        &payload,
        &amz_date,
        &s.region,
        &s.access_key,
        s.secret_key.expose(),
    );
    let mut req = client()
        .request(method, &url)
        .header("authorization", auth)
        .header("x-amz-content-sha256", payload)
        .header("x-amz-date", amz_date);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    req.body(body)
        .send()
        .await
        .map_err(|e| StoreError::Http(e.to_string()))
}

/// `host[:port]` as the HTTP client sends it in `Host` (the port only when not the scheme's default).
fn host_of(endpoint: &str) -> Result<String, StoreError> {
    let (scheme, rest) = endpoint
        .split_once("://")
        .ok_or_else(|| StoreError::Config("endpoint without scheme".into()))?;
    let authority = rest.split('/').next().unwrap_or("");
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    Ok(authority
        .strip_suffix(default_port)
        .unwrap_or(authority)
        .to_ascii_lowercase())
}

/// SigV4 URI encoding: unreserved characters as is, `/` kept in object keys, the rest `%XX`.
pub fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// The `Authorization` header of an AWS Signature Version 4 request for service `s3`.
/// `headers` are (lower-case name, value) of every signed header (at least `host`,
/// `x-amz-content-sha256`, `x-amz-date`); `path` is the canonical (already encoded) URI and
/// `query` the canonical query string.
#[allow(clippy::too_many_arguments)]
pub fn authorization(
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    payload_sha256: &str,
    amz_date: &str,
    region: &str,
    access_key: &str,
    secret_key: &str,
) -> String {
    let mut h: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| {
            (
                k.to_ascii_lowercase(),
                v.split_whitespace().collect::<Vec<_>>().join(" "),
            )
        })
        .collect();
    h.sort();
    let canonical_headers: String = h.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed: Vec<&str> = h.iter().map(|(k, _)| k.as_str()).collect();
    let signed = signed.join(";");
    let canonical_request =
        format!("{method}\n{path}\n{query}\n{canonical_headers}\n{signed}\n{payload_sha256}");
    let date = &amz_date[..8.min(amz_date.len())];
    let scope = format!("{date}/{region}/s3/aws4_request");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );
    let k_date = hmac(format!("AWS4{secret_key}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, b"s3");
    let k_signing = hmac(&k_service, b"aws4_request");
    let signature = hex::encode(hmac(&k_signing, string_to_sign.as_bytes()));
    format!(
        "AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={signed}, Signature={signature}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The GET example of the AWS S3 SigV4 documentation ("Signature Calculations for the
    /// Authorization Header: Transferring Payload in a Single Chunk").
    #[test]
    fn sigv4_matches_the_aws_documentation_example() {
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let headers = vec![
            (
                "host".to_string(),
                "examplebucket.s3.amazonaws.com".to_string(),
            ),
            ("range".to_string(), "bytes=0-9".to_string()),
            ("x-amz-content-sha256".to_string(), empty.to_string()),
            ("x-amz-date".to_string(), "20130524T000000Z".to_string()),
        ];
        let a = authorization(
            "GET",
            "/test.txt",
            "",
            &headers,
            empty,
            "20130524T000000Z",
            "us-east-1",
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        );
        assert_eq!(
            a,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn keys_and_hosts_are_encoded_as_signed() {
        assert_eq!(uri_encode("reports/1/ab.png", true), "reports/1/ab.png");
        assert_eq!(uri_encode("a b+c", true), "a%20b%2Bc");
        assert_eq!(host_of("http://127.0.0.1:9000").unwrap(), "127.0.0.1:9000");
        assert_eq!(
            host_of("https://s3.example.cn:443").unwrap(),
            "s3.example.cn"
        );
        assert_eq!(key_of(ReportId(7), "ab", "image/webp"), "reports/7/ab.webp");
    }

    #[test]
    fn s3_needs_bucket_and_keys() {
        let mut c = Config {
            evidence_s3_endpoint: Some("http://127.0.0.1:9000".into()),
            ..Config::default()
        };
        assert!(EvidenceStore::from_config(&c).is_err());
        c.evidence_s3_bucket = Some("ev".into());
        c.evidence_s3_access_key = Some("ak".into());
        c.evidence_s3_secret_key = Some(Secret::new("sk"));
        assert_eq!(EvidenceStore::from_config(&c).unwrap().name(), "s3");
        c.evidence_s3_endpoint = Some("ftp://x".into());
        assert!(EvidenceStore::from_config(&c).is_err());
        c.evidence_s3_endpoint = Some("https://s3.example.cn".into());
        assert_eq!(EvidenceStore::from_config(&c).unwrap().name(), "s3");
        assert_eq!(
            EvidenceStore::from_config(&Config::default())
                .unwrap()
                .name(),
            "filesystem"
        );
    }
}
