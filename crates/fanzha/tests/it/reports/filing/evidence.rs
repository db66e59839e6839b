//! Evidence images: sniffed, stripped, limited and served in scope.

use super::*;

pub(super) fn png() -> Vec<u8> {
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

pub(super) async fn upload(
    app: &TestApp,
    token: &str,
    id: i64,
    body: Vec<u8>,
) -> reqwest::Response {
    client()
        .post(app.url(&format!("/api/v1/reports/{id}/evidence")))
        .bearer_auth(token)
        .header("cookie", "fz_lang=en")
        .header("content-type", "image/png")
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
pub(super) async fn evidence_is_sniffed_stripped_limited_and_served_in_scope() {
    let app = spawn_app_with(|c| c.report_image_max_bytes = 64 * 1024, true).await;
    let s1 = app.token("student1", &rw()).await;
    let id = post_json(&app, &s1, "/api/v1/reports", call_report("ev-1"))
        .await
        .json::<Value>()
        .await
        .unwrap()["report_id"]
        .as_i64()
        .unwrap();
    let r = upload(&app, &s1, id, png()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["media_type"], "image/png");
    let eid = e["id"].as_i64().unwrap();
    // Stored without the location text; served to the reporter and police in scope only.
    let r = app
        .api_get(&s1, &format!("/api/v1/reports/{id}/evidence/{eid}"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/png");
    let bytes = r.bytes().await.unwrap();
    assert!(!bytes.windows(8).any(|w| w == b"Location"));
    assert!(bytes.windows(4).any(|w| w == b"IDAT"));
    let p1 = app.token("police1", &Scope::ALL).await;
    assert_eq!(
        app.api_get(&p1, &format!("/api/v1/reports/{id}/evidence/{eid}"))
            .await
            .status(),
        StatusCode::OK
    );
    for user in ["police2", "student2", "counselor2"] {
        let t = app.token(user, &Scope::ALL).await;
        assert_eq!(
            app.api_get(&t, &format!("/api/v1/reports/{id}/evidence/{eid}"))
                .await
                .status(),
            StatusCode::NOT_FOUND,
            "{user}"
        );
    }
    // A PDF renamed .png, a broken PNG, an image too large: refused, nothing stored.
    let (s, code, _, _) =
        api_error(upload(&app, &s1, id, b"%PDF-1.7\n1 0 obj\n".to_vec()).await).await;
    assert_eq!(
        (s, code.as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "reports-err-image-type")
    );
    let mut broken = png();
    broken.truncate(30);
    assert_eq!(
        upload(&app, &s1, id, broken).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let mut big = png();
    big.extend(std::iter::repeat_n(0u8, 70 * 1024));
    assert_eq!(
        upload(&app, &s1, id, big).await.status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    // A 50 MB body is stopped by the body limit.
    let huge = vec![0u8; 50 * 1024 * 1024];
    let r = client()
        .post(app.url(&format!("/api/v1/reports/{id}/evidence")))
        .bearer_auth(&s1)
        .body(huge)
        .send()
        .await;
    // The server answers 413 (or closes the connection before the client finished sending).
    match r {
        Ok(r) => assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE),
        Err(e) => assert!(
            !e.is_timeout() && !e.is_connect(),
            "the server did not stop the body: {e}"
        ),
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM report_evidence").await,
        1,
        "nothing of the huge body was stored"
    );
    // Someone else's report: not theirs to add to.
    let s2 = app.token("student2", &rw()).await;
    assert_eq!(
        upload(&app, &s2, id, png()).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM report_evidence").await, 1);
    // Six at most.
    for _ in 0..5 {
        let mut p = png();
        p.push(rand_byte());
        assert_eq!(upload(&app, &s1, id, p).await.status(), StatusCode::CREATED);
    }
    assert_eq!(
        upload(&app, &s1, id, png()).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

pub(super) fn rand_byte() -> u8 {
    (uuid::Uuid::new_v4().as_bytes()[0]) | 1
}

pub(super) async fn form(
    app: &TestApp,
    c: &Client,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let csrf = app.page_csrf(c).await;
    let mut f: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    f.extend_from_slice(fields);
    let r = c.post(app.url(path)).form(&f).send().await.unwrap();
    let status = r.status();
    let loc = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, loc, r.text().await.unwrap())
}
