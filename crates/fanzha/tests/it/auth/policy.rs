//! The policy: every role × every action × {inside, outside} its scope, decided by
//! `auth::policy::allows` on principals built from the seeded database, then the same decisions
//! seen through HTTP on representative routes.

use crate::common::*;
use fanzha::auth::model::{Principal, Role, Scope};
use fanzha::auth::policy::{allows, role_allows, Action, Target};
use fanzha::auth::service::principal_for_token;
use fanzha::auth::store::grants_of;
use reqwest::StatusCode;

/// The expected matrix, written out by hand (Y = allowed inside the role's scope).
/// Columns follow `Action::ALL` in groups: org (ViewUnits ManageUnits ListPeople ViewPerson
/// ImportRoster ExportRoster ViewAudit ManageAccounts) | intel (CurateIntel) | warnings
/// (IssueWarning ViewWarnings ActOnWarning IdentifyWarning ConfigureWarnings ViewAppraisal) |
/// cases (ViewCases ManageCases ManageAwards) | campaigns (ManageCampaigns ViewReach) | reports
/// (ViewReports TriageReports) | accounts (IssueActivationCodes ConfigureSignIn) | learning
/// (ManageLearning ViewLearning RunActivities).
const MATRIX: [(Role, &str); 7] = [
    (
        Role::Student,
        concat!("--------", "-", "------", "---", "--", "--", "--", "---"),
    ),
    (
        Role::Counselor,
        concat!("Y-YY-Y--", "-", "-YY---", "---", "-Y", "Y-", "Y-", "-YY"),
    ),
    (
        Role::UnitLeader,
        concat!("Y-YY-Y--", "-", "-YY--Y", "Y--", "-Y", "Y-", "Y-", "-YY"),
    ),
    (
        Role::SchoolAdmin,
        concat!("YYYYYYYY", "-", "-YYYYY", "Y--", "YY", "Y-", "YY", "YYY"),
    ),
    (
        Role::Police,
        concat!("Y-YY--Y-", "Y", "YYYY-Y", "YY-", "YY", "YY", "--", "YYY"),
    ),
    (
        Role::ProvinceAdmin,
        concat!("YY----YY", "Y", "-Y---Y", "Y-Y", "-Y", "--", "--", "-Y-"),
    ),
    (
        Role::Partner,
        concat!("--------", "-", "Y-----", "---", "--", "--", "--", "---"),
    ),
];

/// For each role: the account holding it, a unit inside its scope and one outside.
const CASES: [(Role, &str, &str, &str); 7] = [
    (Role::Student, "student1", "CLS1A1", "CLS2A1"),
    (Role::Counselor, "counselor1", "CLS1A1", "CLS1B1"),
    (Role::UnitLeader, "leader1", "CLS1A2", "COL1B"),
    (Role::SchoolAdmin, "admin1", "CLS1B1", "CLS2A1"),
    // Inside through the jurisdiction of station ST1 over school SCH1.
    (Role::Police, "police1", "CLS1A1", "CLS2A1"),
    (Role::ProvinceAdmin, "province1", "CLS2A1", "P2"),
    (Role::Partner, "partner1", "SCH1", "P2"),
];

/// The real principal of a seeded account, as the app builds it for a request.
async fn principal(app: &TestApp, username: &str) -> Principal {
    let token = app.token(username, &Scope::ALL).await;
    principal_for_token(&app.state.db, &app.state.clock, &app.state.tokens, &token)
        .await
        .expect("principal lookup")
        .expect("principal exists")
}

#[tokio::test]
async fn every_role_every_action_inside_and_outside_scope() {
    let app = spawn_seeded().await;
    assert_eq!(MATRIX.len(), Role::ALL.len());
    let mut decisions = 0;
    for role in Role::ALL {
        let row = MATRIX
            .iter()
            .find(|(r, _)| *r == role)
            .unwrap_or_else(|| panic!("{role} missing from MATRIX"))
            .1;
        assert_eq!(row.len(), Action::ALL.len(), "{role} row width");
        let (_, username, inside, outside) = CASES
            .iter()
            .find(|c| c.0 == role)
            .unwrap_or_else(|| panic!("{role} missing from CASES"));
        let p = principal(&app, username).await;
        assert!(p.has_role(role), "{username} holds {role}");
        let inside = app.fx.unit(inside).path.clone();
        let outside = app.fx.unit(outside).path.clone();
        for (i, action) in Action::ALL.into_iter().enumerate() {
            let expected = row.as_bytes()[i] == b'Y';
            assert_eq!(
                role_allows(role, action),
                expected,
                "matrix: {role} {action:?}"
            );
            assert_eq!(
                allows(&p, action, &Target::Unit(&inside)),
                expected,
                "{username} ({role}) {action:?} inside {inside}"
            );
            assert!(
                !allows(&p, action, &Target::Unit(&outside)),
                "{username} ({role}) {action:?} outside {outside}"
            );
            decisions += 2;
        }
    }
    assert_eq!(decisions, 7 * Action::ALL.len() * 2);
}

#[tokio::test]
async fn police_grants_cover_their_jurisdiction_only() {
    let app = spawn_seeded().await;
    let grants = grants_of(&app.state.db, app.fx.account("police1"))
        .await
        .unwrap();
    assert_eq!(grants.len(), 1);
    let mut paths = grants[0].scope_paths.clone();
    paths.sort();
    let mut expected = vec![
        app.fx.unit("ST1").path.clone(),
        app.fx.unit("SCH1").path.clone(),
    ];
    expected.sort();
    assert_eq!(paths, expected);
    // The other station's officer covers the other school only.
    let grants = grants_of(&app.state.db, app.fx.account("police2"))
        .await
        .unwrap();
    assert!(grants[0].scope_paths.contains(&app.fx.unit("SCH2").path));
    assert!(!grants[0].scope_paths.contains(&app.fx.unit("SCH1").path));
    // A city-level police grant covers the schools of every station below it.
    let id = fanzha::auth::service::create_user(
        &app.state.db,
        &app.state.clock,
        &fanzha::auth::service::NewUser {
            username: "police_city",
            display_name: "",
            password: PASSWORD,
            role: Role::Police,
            unit_code: "C1",
            person_no: None,
        },
    )
    .await
    .unwrap();
    let grants = grants_of(&app.state.db, id).await.unwrap();
    for school in ["SCH1", "SCH2"] {
        assert!(grants[0].scope_paths.contains(&app.fx.unit(school).path));
    }
    let p = principal(&app, "police_city").await;
    assert!(!allows(
        &p,
        Action::ViewUnits,
        &Target::Unit(&app.fx.unit("P2").path)
    ));
}

#[tokio::test]
async fn students_see_their_own_record_only() {
    let app = spawn_seeded().await;
    let p = principal(&app, "student1").await;
    let own = app.fx.student("2023010101");
    let classmate = app.fx.student("2023010102");
    let class = app.fx.unit("CLS1A1").path.clone();
    assert!(allows(
        &p,
        Action::ViewPerson,
        &Target::Student {
            id: own,
            unit_path: &class
        }
    ));
    assert!(!allows(
        &p,
        Action::ViewPerson,
        &Target::Student {
            id: classmate,
            unit_path: &class
        }
    ));
    // A counselor sees the students of their class, not of the class next door.
    let c = principal(&app, "counselor1").await;
    assert!(allows(
        &c,
        Action::ViewPerson,
        &Target::Student {
            id: classmate,
            unit_path: &class
        }
    ));
    let other = app.fx.unit("CLS1B1").path.clone();
    assert!(!allows(
        &c,
        Action::ViewPerson,
        &Target::Student {
            id: app.fx.student("2023020101"),
            unit_path: &other
        }
    ));
}

#[tokio::test]
async fn counselor_pages_are_scoped_to_their_class() {
    let app = spawn_seeded().await;
    let c = app.login("counselor1").await;
    let (status, body) = app.get(&c, "/org/unit/CLS1A1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("计科2301"));
    // Students of the class are listed, masked.
    assert!(body.contains("张*"), "masked name listed");
    let (status, body) = app.get(&c, "/org/unit/CLS1B1").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!body.contains("数学2301"), "other class not revealed");
    let (status, body) = app
        .get(
            &c,
            &format!("/org/student/{}", app.fx.student("2023020101")),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!body.contains("赵六"));
    let (status, body) = app
        .get(
            &c,
            &format!("/org/student/{}", app.fx.student("2023010102")),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("李四"));
}

#[tokio::test]
async fn students_cannot_open_the_org_tree() {
    let app = spawn_seeded().await;
    let c = app.login("student1").await;
    let (status, _) = app.get(&c, "/org").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get(&c, "/org/unit/CLS1A1").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Their own record opens; a classmate's does not.
    let (status, body) = app
        .get(
            &c,
            &format!("/org/student/{}", app.fx.student("2023010101")),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("张三"));
    let (status, body) = app
        .get(
            &c,
            &format!("/org/student/{}", app.fx.student("2023010102")),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!body.contains("李四"));
}

#[tokio::test]
async fn police_see_the_schools_of_their_jurisdiction_only() {
    let app = spawn_seeded().await;
    let c = app.login("police1").await;
    let (status, body) = app.get(&c, "/org/unit/SCH1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("第一大学"));
    let (status, body) = app.get(&c, "/org/unit/SCH2").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!body.contains("第二大学"));
    let t = app.token("police1", &[Scope::OrgRead]).await;
    let r = app.api_get(&t, "/api/v1/units/SCH1/students").await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["total"], 4);
    let r = app.api_get(&t, "/api/v1/units/SCH2/students").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn school_admins_import_into_their_own_school_only() {
    let app = spawn_seeded().await;
    let t = app.token("admin1", &[Scope::OrgWrite]).await;
    let own = "学号,姓名,班级代码\n2023019901,新生甲,CLS1A1\n";
    let r = app
        .api_post(&t, "/api/v1/units/SCH1/roster", own.as_bytes().to_vec())
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let before = app.count_students().await;
    let other = "学号,姓名,班级代码\n2023519901,新生乙,CLS2A1\n";
    let r = app
        .api_post(&t, "/api/v1/units/SCH2/roster", other.as_bytes().to_vec())
        .await;
    assert!(
        matches!(r.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}",
        r.status()
    );
    assert_eq!(app.count_students().await, before, "nothing written");
}

#[tokio::test]
async fn partner_tokens_are_refused_on_people_endpoints() {
    let app = spawn_seeded().await;
    let sid = app.fx.student("2023010101");
    // A partner's usual token: risk checks only.
    let t = app.token("partner1", &[Scope::RiskCheck]).await;
    for path in [
        "/api/v1/units/SCH1/students".to_string(),
        format!("/api/v1/students/{sid}"),
        "/api/v1/units/SCH1/roster".to_string(),
    ] {
        let r = app.api_get(&t, &path).await;
        let (status, code, message, _) = api_error(r).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(
            code == "token-scope" || code == "forbidden",
            "{path}: {code}"
        );
        assert!(!message.contains("张三"));
    }
    // Even with org:read the partner role reads no people.
    let t = app.token("partner1", &[Scope::OrgRead]).await;
    for path in [
        "/api/v1/units/SCH1/students".to_string(),
        format!("/api/v1/students/{sid}"),
    ] {
        let r = app.api_get(&t, &path).await;
        let status = r.status();
        let body = r.text().await.unwrap();
        assert!(
            matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{path}: {status}"
        );
        assert!(
            !body.contains("张三") && !body.contains("1380000"),
            "{body}"
        );
    }
}
