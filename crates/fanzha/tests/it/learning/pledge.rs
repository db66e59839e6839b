//! The pledge: versioned text per school, signing with the typed full name and consent bound to the
//! text's hash, one live signature per person and version, withdraw and re-sign, reminders to
//! exactly the unsigned, and signing figures that always equal a recount.

use crate::common::*;
use fanzha::learning::{model::Pledge, service, store};
use proptest::prelude::*;
use reqwest::StatusCode;

const TEXT: &str = "本人承诺:自觉防诈、拒绝参诈、坚决反诈。";

async fn publish(app: &TestApp, body: &str) {
    let admin = app.login("admin1").await;
    let school = app.fx.unit("SCH1").id.to_string();
    let (s, loc) = app
        .post_form(
            &admin,
            "/learning/pledge/publish",
            &[("school", &school), ("body", body)],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{loc}");
}

async fn hash_on_page(app: &TestApp, c: &reqwest::Client) -> String {
    let (s, page) = app.get(c, "/learning/pledge").await;
    assert_eq!(s, StatusCode::OK);
    between(&page, "name=\"hash\" value=\"", "\"").unwrap_or_else(|| panic!("{page}"))
}

async fn live(app: &TestApp) -> i64 {
    app.scalar("SELECT COUNT(*) FROM learning_signatures WHERE withdrawn_at IS NULL")
        .await
}

#[tokio::test]
async fn a_student_signs_once_per_version_withdraws_and_signs_again() {
    let app = spawn_seeded().await;
    publish(&app, TEXT).await;
    let st = app.login("student1").await;
    let hash = hash_on_page(&app, &st).await;
    // Bad input: wrong name, no consent, empty; nothing written.
    for f in [
        vec![("full_name", "张四"), ("consent", "1")],
        vec![("full_name", "张三")],
        vec![],
    ] {
        let mut f = f;
        f.push(("hash", &hash));
        let (s, _) = app.post_form(&st, "/learning/pledge/sign", &f).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(live(&app).await, 0);
    let sign = [
        ("full_name", " 张三 "),
        ("consent", "1"),
        ("hash", hash.as_str()),
    ];
    let (s, _) = app.post_form(&st, "/learning/pledge/sign", &sign).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, page) = app.get(&st, "/learning/pledge").await;
    assert!(page.contains("pledge-signed"), "{page}");
    // A second signature of the same version is refused.
    let (s, body) = app.post_form(&st, "/learning/pledge/sign", &sign).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert_eq!(live(&app).await, 1);
    // Withdraw, then sign again: two rows, one live.
    let (s, _) = app.post_form(&st, "/learning/pledge/withdraw", &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(live(&app).await, 0);
    let (s, _) = app.post_form(&st, "/learning/pledge/withdraw", &[]).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = app.post_form(&st, "/learning/pledge/sign", &sign).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(live(&app).await, 1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM learning_signatures").await,
        2
    );
    // A new version: the old hash is refused; the new one is signed separately.
    publish(&app, "第二版:自觉防诈、拒绝参诈、坚决反诈,不出租出借两卡。").await;
    let (s, _) = app.post_form(&st, "/learning/pledge/sign", &sign).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let new_hash = hash_on_page(&app, &st).await;
    assert_ne!(new_hash, hash);
    let (s, _) = app
        .post_form(
            &st,
            "/learning/pledge/sign",
            &[("full_name", "张三"), ("consent", "1"), ("hash", &new_hash)],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(live(&app).await, 2);
    // Staff cannot sign as a student; a counselor cannot publish.
    let c1 = app.login("counselor1").await;
    let (s, _) = app.post_form(&c1, "/learning/pledge/sign", &sign).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let school = app.fx.unit("SCH1").id.to_string();
    let (s, _) = app
        .post_form(
            &c1,
            "/learning/pledge/publish",
            &[("school", &school), ("body", "x")],
        )
        .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "the school lies outside the counselor's scope"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM learning_pledges").await, 2);
}

#[tokio::test]
async fn concurrent_second_signatures_leave_one_live_signature() {
    let app = spawn_seeded().await;
    publish(&app, TEXT).await;
    let st = app.login("student1").await;
    let hash = hash_on_page(&app, &st).await;
    let csrf = app.page_csrf(&st).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let c = st.clone();
        let url = app.url("/learning/pledge/sign");
        let form = vec![
            ("csrf".to_string(), csrf.clone()),
            ("full_name".to_string(), "张三".to_string()),
            ("consent".to_string(), "1".to_string()),
            ("hash".to_string(), hash.clone()),
        ];
        tasks.push(tokio::spawn(async move {
            c.post(url).form(&form).send().await.expect("POST").status()
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let s = t.await.expect("task");
        if s == StatusCode::SEE_OTHER {
            ok += 1;
        } else {
            assert_eq!(s, StatusCode::CONFLICT);
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(live(&app).await, 1);
}

#[tokio::test]
async fn reminders_go_to_exactly_the_unsigned_of_the_counselors_class() {
    let app = spawn_seeded().await;
    publish(&app, TEXT).await;
    let st = app.login("student1").await;
    let hash = hash_on_page(&app, &st).await;
    app.post_form(
        &st,
        "/learning/pledge/sign",
        &[("full_name", "张三"), ("consent", "1"), ("hash", &hash)],
    )
    .await;
    let c1 = app.login("counselor1").await;
    let cls = app.fx.unit("CLS1A1").id.to_string();
    let (s, loc) = app
        .post_form(&c1, "/learning/pledge/remind", &[("unit", &cls)])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(loc.contains("reminded=1"), "{loc}");
    app.runner.run_until_idle().await.unwrap();
    let told = |no: &str| {
        format!(
        "SELECT COUNT(*) FROM inbox_messages WHERE recipient = 'student:{}' AND kind = 'learning'",
        app.fx.student(no)
    )
    };
    assert_eq!(app.scalar(&told("2023010102")).await, 1, "李四 unsigned");
    assert_eq!(app.scalar(&told("2023010101")).await, 0, "张三 signed");
    assert_eq!(app.scalar(&told("2023010201")).await, 0, "another class");
    // The class coverage: one of two signed.
    let (_, page) = app
        .get(&c1, &format!("/learning/coverage?unit={cls}"))
        .await;
    assert!(page.contains("id=\"total-pledge\">50%"), "{page}");
    // Another counselor's class is refused, and nobody is told.
    let other = app.fx.unit("CLS1A2").id.to_string();
    let (s, _) = app
        .post_form(&c1, "/learning/pledge/remind", &[("unit", &other)])
        .await;
    assert!(
        s == StatusCode::NOT_FOUND || s == StatusCode::FORBIDDEN,
        "{s}"
    );
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(app.scalar(&told("2023010201")).await, 0);
}

#[derive(Clone, Debug)]
enum Op {
    Sign(usize),
    Withdraw(usize),
    Move(usize, usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..4usize).prop_map(Op::Sign),
        (0..4usize).prop_map(Op::Withdraw),
        (0..4usize, 0..3usize).prop_map(|(s, c)| Op::Move(s, c)),
    ]
}

/// Random sequences of sign / withdraw / change of class: every unit's signing figure equals a
/// recount from the model of who signed and where they sit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_figures_of_every_unit_equal_a_recount_after_random_sequences() {
    let app = spawn_seeded().await;
    publish(&app, TEXT).await;
    let db = app.state.db.clone();
    let clock = app.state.clock.clone();
    let school = app.fx.unit("SCH1").clone();
    let students: Vec<fanzha::kernel::ids::StudentId> =
        ["2023010101", "2023010102", "2023010201", "2023020101"]
            .iter()
            .map(|n| app.fx.student(n))
            .collect();
    let names = ["张三", "李四", "王五", "赵六"];
    let classes: Vec<(fanzha::kernel::ids::UnitId, String)> = ["CLS1A1", "CLS1A2", "CLS1B1"]
        .iter()
        .map(|c| (app.fx.unit(c).id, app.fx.unit(c).path.clone()))
        .collect();
    let units: Vec<String> = ["SCH1", "COL1A", "COL1B", "CLS1A1", "CLS1A2", "CLS1B1"]
        .iter()
        .map(|c| app.fx.unit(c).path.clone())
        .collect();
    let original: Vec<i64> = {
        let mut v = vec![];
        for s in &students {
            v.push(
                app.scalar(&format!("SELECT class_id FROM students WHERE id = {s}"))
                    .await,
            );
        }
        v
    };
    let handle = tokio::runtime::Handle::current();
    let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
        cases: 24,
        failure_persistence: None,
        ..Default::default()
    });
    runner
        .run(&proptest::collection::vec(op(), 1..30), |ops| {
            let (db, clock) = (db.clone(), clock.clone());
            let (students, classes, units, original, school) = (
                students.clone(),
                classes.clone(),
                units.clone(),
                original.clone(),
                school.clone(),
            );
            tokio::task::block_in_place(|| {
                handle.block_on(async move {
                    sqlx::query("DELETE FROM learning_signatures")
                        .execute(&db.pool)
                        .await
                        .unwrap();
                    for (s, c) in students.iter().zip(&original) {
                        sqlx::query("UPDATE students SET class_id = $1 WHERE id = $2")
                            .bind(c)
                            .bind(s)
                            .execute(&db.pool)
                            .await
                            .unwrap();
                    }
                    let pledge: Pledge = {
                        let mut c = db.pool.acquire().await.unwrap();
                        store::current_pledge(&mut c, school.id)
                            .await
                            .unwrap()
                            .unwrap()
                    };
                    let mut signed = [false; 4];
                    let mut class_of: Vec<usize> = original
                        .iter()
                        .map(|c| classes.iter().position(|(id, _)| id.get() == *c).unwrap())
                        .collect();
                    for op in &ops {
                        let mut tx = db.begin_write().await.unwrap();
                        match *op {
                            Op::Sign(i) => {
                                let r = store::insert_signature(
                                    &mut tx,
                                    &pledge,
                                    students[i],
                                    names[i],
                                    clock.now_ms(),
                                )
                                .await
                                .unwrap();
                                assert_eq!(r.is_some(), !signed[i], "one live signature");
                                signed[i] = true;
                            }
                            Op::Withdraw(i) => {
                                let r = store::withdraw_signature(
                                    &mut tx,
                                    pledge.id,
                                    students[i],
                                    clock.now_ms(),
                                )
                                .await
                                .unwrap();
                                assert_eq!(r, signed[i]);
                                signed[i] = false;
                            }
                            Op::Move(i, c) => {
                                sqlx::query("UPDATE students SET class_id = $1 WHERE id = $2")
                                    .bind(classes[c].0)
                                    .bind(students[i])
                                    .execute(&mut *tx)
                                    .await
                                    .unwrap();
                                class_of[i] = c;
                            }
                        }
                        tx.commit().await.unwrap();
                        clock.advance_ms(1);
                    }
                    let all = service::figures_under(&db, &school.path, clock.now_ms())
                        .await
                        .unwrap();
                    for u in &units {
                        let f = service::rollup(&all, u);
                        let expect_signed = (0..4)
                            .filter(|i| {
                                signed[*i] && classes[class_of[*i]].1.starts_with(u.as_str())
                            })
                            .count() as i64;
                        let expect_students = (0..4)
                            .filter(|i| classes[class_of[*i]].1.starts_with(u.as_str()))
                            .count() as i64;
                        assert_eq!(f.signed, expect_signed, "signed under {u} after {ops:?}");
                        assert_eq!(f.students, expect_students, "students under {u}");
                    }
                })
            });
            Ok(())
        })
        .expect("property");
    // Leave the roster as it was for the rest of the test's life.
    for (s, c) in students.iter().zip(&original) {
        sqlx::query("UPDATE students SET class_id = $1 WHERE id = $2")
            .bind(c)
            .bind(s)
            .execute(&app.state.db.pool)
            .await
            .unwrap();
    }
}
