//! The brand registry in the database: seeded from the built-in registry, listed by sector and
//! searched, edited by police (add, edit, disable) and replaced by a file import that is refused
//! whole with its line number; exported as a file that imports back; refused to students and
//! school admins; every process picks up a change; every change audited.

use std::time::{Duration, Instant};

use crate::common::*;
use fanzha_detect::BrandRegistry;
use reqwest::{Client, StatusCode};

async fn post_form(
    app: &TestApp,
    c: &Client,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let csrf = app.page_csrf(c).await;
    let mut f: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    f.extend_from_slice(form);
    let r = c.post(app.url(path)).form(&f).send().await.unwrap();
    let status = r.status();
    let loc = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, loc, r.text().await.unwrap())
}

async fn import(app: &TestApp, c: &Client, text: &str) -> (StatusCode, String) {
    let csrf = app.page_csrf(c).await;
    let form = reqwest::multipart::Form::new().text("csrf", csrf).part(
        "file",
        reqwest::multipart::Part::bytes(text.as_bytes().to_vec()).file_name("brands.toml"),
    );
    let r = c
        .post(app.url("/intel/brands/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.text().await.unwrap())
}

const NEW_BRAND: &[(&str, &str)] = &[
    ("key", "campus_card"),
    ("name_zh", "校园一卡通中心"),
    ("name_en", "Campus Card Centre"),
    ("sector", "payment"),
    ("aliases", "一卡通中心\n校园卡中心"),
    ("domains", "card.example-university.edu.cn"),
    ("numbers", "025-83590000"),
    ("enabled", "1"),
];

async fn wait_until(what: &str, mut ok: impl FnMut() -> bool) -> Duration {
    let t = Instant::now();
    while !ok() {
        assert!(t.elapsed() < Duration::from_secs(2), "{what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    t.elapsed()
}

#[tokio::test]
async fn a_fresh_install_has_the_built_in_brands_and_police_search_them_by_sector() {
    let app = spawn_seeded().await;
    let builtin = BrandRegistry::builtin();
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM brands").await as usize,
        builtin.len()
    );
    let police = app.login("police1").await;
    let (s, html) = app.get(&police, "/intel/brands").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("中国工商银行") && html.contains("95588"));
    assert!(
        html.contains("银行") && html.contains("快递物流"),
        "sectors in words"
    );
    let (_, html) = app.get(&police, "/intel/brands?q=95588").await;
    assert!(html.contains("中国工商银行"));
    assert!(!html.contains("中国建设银行"), "the search narrows");
    let (_, html) = app.get(&police, "/intel/brands?sector=courier").await;
    assert!(!html.contains("中国工商银行"));
    // The export is a registry file that reads back the same.
    let (s, text) = app.get(&police, "/intel/brands/export").await;
    assert_eq!(s, StatusCode::OK);
    let sorted = |r: &BrandRegistry| {
        let mut v = r.brands().to_vec();
        v.sort_by(|a, b| a.key.cmp(&b.key));
        v
    };
    let again = BrandRegistry::parse(&text).unwrap();
    assert_eq!(sorted(&again), sorted(&builtin));
    // A second process does not seed again.
    let b = app.second_process().await;
    b.state.intel.refresh_detect(&b.state.db).await.unwrap();
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM brands").await as usize,
        builtin.len()
    );
}

#[tokio::test]
async fn police_add_edit_and_disable_a_brand_and_every_process_picks_it_up() {
    let a = spawn_seeded().await;
    let b = a.second_process().await;
    let police = a.login("police1").await;
    let (s, loc, body) = post_form(&a, &police, "/intel/brands", NEW_BRAND).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    assert!(loc.contains("done=saved"));
    let (_, html) = a.get(&police, &loc).await;
    assert!(html.contains("校园一卡通中心") && html.contains("02583590000"));
    assert!(a.state.intel.engine().brands().get("campus_card").is_some());
    wait_until("the other process has the new brand", || {
        b.state.intel.engine().brands().get("campus_card").is_some()
    })
    .await;
    // The engine uses it: a message naming the brand with another link is a mismatch.
    let v = b.state.intel.engine().analyze_with(
        "【校园卡中心】您的一卡通将被冻结，请立即登录 campus-card-verify.xyz 解冻",
        None,
    );
    assert_eq!(
        v.brand_mismatch.map(|m| m.brand_key).as_deref(),
        Some("campus_card")
    );
    let id = a
        .scalar("SELECT id FROM brands WHERE key = 'campus_card'")
        .await;
    // Edit: another number; then disable.
    let mut edit: Vec<(&str, &str)> = NEW_BRAND.to_vec();
    edit.retain(|(k, _)| *k != "numbers");
    edit.push(("numbers", "025-83590001"));
    let (s, _, _) = post_form(&a, &police, &format!("/intel/brands/{id}"), &edit).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    wait_until("the other process has the edit", || {
        b.state
            .intel
            .engine()
            .brands()
            .get("campus_card")
            .is_some_and(|x| x.numbers == ["02583590001"])
    })
    .await;
    edit.retain(|(k, _)| *k != "enabled");
    let (s, _, _) = post_form(&a, &police, &format!("/intel/brands/{id}"), &edit).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    wait_until("the other process dropped the disabled brand", || {
        b.state.intel.engine().brands().get("campus_card").is_none()
    })
    .await;
    let (_, html) = a.get(&police, "/intel/brands?q=一卡通").await;
    assert!(html.contains("已停用"));
    assert_eq!(a.audit("intel.brand_create").await.len(), 1);
    assert_eq!(a.audit("intel.brand_update").await.len(), 2);
    // The export keeps the disabled brand on file, and importing it gives back the same registry:
    // the brand stays disabled, and the engine still leaves it out.
    let (_, text) = a.get(&police, "/intel/brands/export").await;
    assert!(text.contains("key = \"campus_card\"") && text.contains("enabled = false"));
    let before = a
        .scalar("SELECT COUNT(*) FROM brands WHERE enabled = 0")
        .await;
    let (s, html) = import(&a, &police, &text).await;
    assert!(s.is_success() || s == StatusCode::SEE_OTHER, "{s}: {html}");
    assert_eq!(
        a.scalar("SELECT COUNT(*) FROM brands WHERE key = 'campus_card' AND enabled = 0")
            .await,
        1
    );
    assert_eq!(
        a.scalar("SELECT COUNT(*) FROM brands WHERE enabled = 0")
            .await,
        before
    );
    a.state.intel.refresh_detect(&a.state.db).await.unwrap();
    assert!(a.state.intel.engine().brands().get("campus_card").is_none());
    assert!(a.state.intel.engine().brands().get("icbc").is_some());
}

#[tokio::test]
async fn bad_brands_and_bad_files_are_refused_with_their_line_and_nothing_changes() {
    let a = spawn_seeded().await;
    let police = a.login("police1").await;
    let before = a.scalar("SELECT COUNT(*) FROM brands").await;
    let versions = a
        .scalar("SELECT version FROM detect_versions WHERE name = 'brands'")
        .await;
    let bad_forms: Vec<Vec<(&str, &str)>> = vec![
        // No Chinese name.
        NEW_BRAND
            .iter()
            .map(|(k, v)| if *k == "name_zh" { (*k, "") } else { (*k, *v) })
            .collect(),
        // A key that is not a-z0-9_.
        NEW_BRAND
            .iter()
            .map(|(k, v)| {
                if *k == "key" {
                    (*k, "Campus Card")
                } else {
                    (*k, *v)
                }
            })
            .collect(),
        // A key that exists.
        NEW_BRAND
            .iter()
            .map(|(k, v)| if *k == "key" { (*k, "icbc") } else { (*k, *v) })
            .collect(),
        // A number that is no number.
        NEW_BRAND
            .iter()
            .map(|(k, v)| {
                if *k == "numbers" {
                    (*k, "call us")
                } else {
                    (*k, *v)
                }
            })
            .collect(),
        // An unknown sector.
        NEW_BRAND
            .iter()
            .map(|(k, v)| {
                if *k == "sector" {
                    (*k, "casino")
                } else {
                    (*k, *v)
                }
            })
            .collect(),
    ];
    for f in &bad_forms {
        let (s, _, html) = post_form(&a, &police, "/intel/brands", f).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{f:?}");
        assert!(html.contains("brand-errors"), "{f:?}");
    }
    // The refused form is kept for correction.
    let (_, _, html) = post_form(&a, &police, "/intel/brands", &bad_forms[0]).await;
    assert!(html.contains("card.example-university.edu.cn"));

    let (_, good) = a.get(&police, "/intel/brands/export").await;
    let mut lines: Vec<String> = good.lines().map(str::to_string).collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("sector = "))
        .unwrap();
    lines[at] = "sector = \"casino\"".into();
    let bad = lines.join("\n");
    let (s, html) = import(&a, &police, &bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains(&format!("第 {} 行", at + 1)),
        "names line {}: {}",
        at + 1,
        between(&html, "brand-errors", "</div>").unwrap_or_default()
    );
    let (s, html) = import(
        &a,
        &police,
        "version = 1\n[[brand]]\nkey = \"x\"\nname_zh = ",
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("第 4 行"));
    let (s, _) = import(&a, &police, "").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(a.scalar("SELECT COUNT(*) FROM brands").await, before);
    assert_eq!(
        a.scalar("SELECT version FROM detect_versions WHERE name = 'brands'")
            .await,
        versions
    );
    assert!(a.state.intel.engine().brands().get("icbc").is_some());
    assert!(a.audit("intel.brand_import").await.is_empty());

    // A good file replaces the registry whole.
    let one = "version = 1\n\n[[brand]]\nkey = \"icbc\"\nname_zh = \"中国工商银行\"\nname_en = \"ICBC\"\nsector = \"bank\"\naliases = [\"工商银行\", \"工行\"]\ndomains = [\"icbc.com.cn\"]\nnumbers = [\"95588\"]\n";
    let (s, _) = import(&a, &police, one).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(a.scalar("SELECT COUNT(*) FROM brands").await, 1);
    assert_eq!(a.state.intel.engine().brands().len(), 1);
    assert_eq!(a.audit("intel.brand_import").await.len(), 1);
}

#[tokio::test]
async fn students_and_school_admins_cannot_see_or_change_the_registry() {
    let a = spawn_seeded().await;
    let before = a.scalar("SELECT COUNT(*) FROM brands").await;
    let icbc = a.scalar("SELECT id FROM brands WHERE key = 'icbc'").await;
    for who in ["student1", "admin1", "counselor1"] {
        let c = a.login(who).await;
        for path in ["/intel/brands", "/intel/brands/export"] {
            let (s, body) = a.get(&c, path).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{who} {path}");
            assert!(!body.contains("95588"), "{who} {path}");
        }
        let (s, _, _) = post_form(&a, &c, "/intel/brands", NEW_BRAND).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
        let (s, _, _) = post_form(&a, &c, &format!("/intel/brands/{icbc}"), NEW_BRAND).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
        let (s, _) = import(&a, &c, "version = 1\n").await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
    }
    assert_eq!(a.scalar("SELECT COUNT(*) FROM brands").await, before);
    assert!(a.audit("intel.brand_create").await.is_empty());
    assert!(!a.audit("access.denied").await.is_empty());
}

#[tokio::test]
async fn two_police_adding_the_same_brand_at_once_make_one() {
    let a = spawn_seeded().await;
    let (p1, p2) = (a.login("police1").await, a.login("province1").await);
    let before = a.scalar("SELECT COUNT(*) FROM brands").await;
    let (r1, r2) = tokio::join!(
        post_form(&a, &p1, "/intel/brands", NEW_BRAND),
        post_form(&a, &p2, "/intel/brands", NEW_BRAND),
    );
    let mut codes = [r1.0, r2.0];
    codes.sort();
    assert_eq!(
        codes,
        [StatusCode::SEE_OTHER, StatusCode::UNPROCESSABLE_ENTITY]
    );
    assert_eq!(a.scalar("SELECT COUNT(*) FROM brands").await, before + 1);
    assert_eq!(a.audit("intel.brand_create").await.len(), 1);
}
