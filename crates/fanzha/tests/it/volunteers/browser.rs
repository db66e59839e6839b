//! The volunteer journey in a browser against the shared demo: police1 publishes a task on the
//! desktop; the demo student claims it on a 390 px phone, checks in and out with the six digits
//! read from the task's place screen, hands in a written account; police1 approves; the student's
//! page shows the points and the approved task with its hours. The pages fit the phone.

use futures::FutureExt as _;
use serde_json::json;

use crate::rig::*;

const PASSWORD: &str = fanzha::demo::DEMO_PASSWORD;
const STUDENT: &str = fanzha::demo::FIRST_STUDENT;

async fn click(wd: &WebDriver, css: &str) {
    let el = wd.find(css).await;
    wd.click(&el).await;
}

async fn text(wd: &WebDriver, css: &str) -> String {
    let el = wd.find(css).await;
    wd.text(&el).await
}

/// Waits until the element `css` (after a form was sent, on the page that replaces it) has a
/// text satisfying `pred`; returns it.
async fn until(wd: &WebDriver, css: &str, pred: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        if let Some(t) = wd.text_of(css).await {
            if pred(&t) {
                return t;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{css} never as expected"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The six digits the task's place screen shows now, read by the officer's own session.
async fn place_code(base: &str, task: &str) -> String {
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let login = c
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = login
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf")
        .to_string();
    let r = c
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "police1"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let html = c
        .get(format!("{base}/volunteers/tasks/{task}/place"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    html.split("id=\"vol-place-code\"")
        .nth(1)
        .and_then(|s| s.split('>').nth(1))
        .and_then(|s| s.split('<').next())
        .expect("code on the place screen")
        .trim()
        .to_string()
}

async fn fits(wd: &WebDriver, width: i64) {
    let v = wd
        .post(
            "/execute/sync",
            json!({"script": "return document.documentElement.scrollWidth;", "args": []}),
        )
        .await;
    let w = v.as_i64().unwrap_or(0);
    assert!(w <= width, "the page is {w} px wide on a {width} px phone");
}

#[tokio::test]
async fn police_publish_a_student_claims_checks_in_and_hands_in_proof_and_approval_credits_points()
{
    run("volunteers-journey", |rig| {
        async move {
            let wd = &rig.wd;
            let base = &rig.base;
            let title = format!(
                "宿舍楼反诈宣传 {}",
                fanzha::clock::system_now_ms() % 100_000
            );

            // Police publish on the desktop: the board shows open, full and finished tasks.
            sign_in(wd, base, "police1").await;
            wd.goto(&format!("{base}/volunteers/tasks?finished=1"))
                .await;
            let board = text(wd, "main").await;
            for state in ["招募中", "已满员", "已结束"] {
                assert!(board.contains(state), "{state} on the board");
            }
            wd.goto(&format!("{base}/volunteers/tasks/new")).await;
            let tz = chrono_tz::Asia::Shanghai;
            let at = |m: i64| {
                (chrono::Utc::now() + chrono::Duration::minutes(m))
                    .with_timezone(&tz)
                    .format("%Y-%m-%dT%H:%M")
                    .to_string()
            };
            for (name, value) in [
                ("title", title.clone()),
                ("description", "在宿舍楼下讲解刷单返利骗局".into()),
                ("place", "学生公寓 3 栋门口".into()),
            ] {
                let el = wd.find(&format!("[name={name}]")).await;
                wd.send_keys(&el, &value).await;
            }
            wd.post(
                "/execute/sync",
                json!({"script": "document.querySelector('[name=starts_at]').value = arguments[0]; \
                    document.querySelector('[name=ends_at]').value = arguments[1]; \
                    document.querySelector('[name=withdraw_until]').value = arguments[1]; \
                    document.querySelector('[name=proof]').value = 'text'; return true;",
                    "args": [at(-1), at(120)]}),
            )
            .await;
            click(wd, "#vol-task-submit").await;
            let url = wd
                .wait_url("the new task", |u| {
                    u.contains("/volunteers/tasks/") && !u.ends_with("/new")
                })
                .await;
            let task = url.rsplit('/').next().unwrap().to_string();
            assert_eq!(text(wd, "#vol-task-title").await, title);

            // The student, on a phone: points before, claim, check in and out, proof.
            sign_in(wd, base, STUDENT).await;
            wd.phone_viewport(390, 844).await;
            wd.goto(&format!("{base}/volunteers")).await;
            let before: i64 = text(wd, "#vol-balance")
                .await
                .trim()
                .parse()
                .expect("balance");
            fits(wd, 390).await;
            wd.goto(&format!("{base}/volunteers/tasks")).await;
            fits(wd, 390).await;
            click(wd, &format!("#task-{task} a")).await;
            wd.wait_url("the task", |u| {
                u.ends_with(&format!("/volunteers/tasks/{task}"))
            })
            .await;
            click(wd, "#vol-claim").await;
            until(wd, "#vol-claim-state", |t| t == "已认领").await;
            for done in ["签到", "签退"] {
                let code = place_code(base, &task).await;
                assert_eq!(code.len(), 6, "{code}");
                let input = wd.find("#vol-code").await;
                wd.send_keys(&input, &code).await;
                click(wd, "#vol-check-submit").await;
                until(wd, "#vol-my-claim", |t| t.contains(done)).await;
            }
            let proof = wd.find("#vol-proof-text").await;
            wd.send_keys(&proof, "在 3 栋门口发放传单 60 份,讲解刷单返利")
                .await;
            click(wd, "#vol-proof-submit").await;
            until(wd, "#vol-claim-state", |t| t == "待审核").await;
            fits(wd, 390).await;

            // Police approve.
            wd.reset().await; // back to a desktop window
            sign_in(wd, base, "police1").await;
            wd.goto(&format!("{base}/volunteers/tasks/{task}")).await;
            click(wd, "#vol-claims .vol-approve").await;
            until(wd, "#vol-claims", |t| t.contains("已通过")).await;

            // The student sees the points and the approved task with its hours.
            sign_in(wd, base, STUDENT).await;
            wd.phone_viewport(390, 844).await;
            wd.goto(&format!("{base}/volunteers")).await;
            let after: i64 = text(wd, "#vol-balance")
                .await
                .trim()
                .parse()
                .expect("balance");
            assert_eq!(after, before + 10);
            let hours = text(wd, "#vol-hours").await;
            assert!(
                hours.trim().parse::<f64>().is_ok_and(|h| h > 0.0),
                "hours {hours}"
            );
            let mine = text(wd, "#vol-my-claims").await;
            assert!(mine.contains(&title) && mine.contains("已通过"), "{mine}");
            fits(wd, 390).await;
            wd.screenshot(
                &target_dir()
                    .join("screenshots")
                    .join("volunteers-phone.png"),
            )
            .await;
        }
        .boxed()
    })
    .await;
}

/// The solicitation journey against the shared demo: police1 opens a slogan call on the desktop;
/// the demo student hands in a slogan on a 390 px phone; police1 accepts it; the student's
/// points rise by the call's points; another school's admin finds the work in the shared library
/// and reuses it in one step (its use counted); the student joins a team and reads the province
/// leaderboard of the month on the phone. Every page fits the phone.
#[tokio::test]
async fn police_call_for_slogans_a_student_hands_one_in_it_is_accepted_and_another_school_reuses_it(
) {
    run("volunteers-calls-journey", |rig| {
        async move {
            let wd = &rig.wd;
            let base = &rig.base;
            let tag = fanzha::clock::system_now_ms() % 100_000;
            let title = format!("识破兼职刷单 {tag}");
            let slogan = format!("先垫钱的兼职都是骗局 {tag}");

            // Police open a call on the desktop; the demo's call is on the list.
            sign_in(wd, base, "police1").await;
            wd.goto(&format!("{base}/volunteers/calls")).await;
            assert!(text(wd, "main").await.contains("识破刷单返利"), "the demo call");
            click(wd, "#vol-new-call").await;
            wd.wait_url("the call form", |u| u.ends_with("/volunteers/calls/new"))
                .await;
            for (name, value) in [
                ("title", title.clone()),
                ("theme", "兼职刷单先返后骗".to_string()),
                ("rules", "标语不超过二十字".to_string()),
            ] {
                let el = wd.find(&format!("[name={name}]")).await;
                wd.send_keys(&el, &value).await;
            }
            let deadline = (chrono::Utc::now() + chrono::Duration::days(7))
                .with_timezone(&chrono_tz::Asia::Shanghai)
                .format("%Y-%m-%dT%H:%M")
                .to_string();
            wd.post(
                "/execute/sync",
                json!({"script": "document.querySelector('[name=closes_at]').value = arguments[0]; return true;",
                    "args": [deadline]}),
            )
            .await;
            click(wd, "#vol-call-submit").await;
            let url = wd
                .wait_url("the new call", |u| {
                    u.contains("/volunteers/calls/") && !u.ends_with("/new")
                })
                .await;
            let call = url.rsplit('/').next().unwrap().to_string();
            assert_eq!(text(wd, "#vol-call-title").await, title);

            // The student hands in a slogan on a phone.
            sign_in(wd, base, STUDENT).await;
            wd.phone_viewport(390, 844).await;
            wd.goto(&format!("{base}/volunteers")).await;
            let before: i64 = text(wd, "#vol-balance").await.trim().parse().expect("balance");
            wd.goto(&format!("{base}/volunteers/calls")).await;
            fits(wd, 390).await;
            click(wd, &format!("#call-{call} a")).await;
            wd.wait_url("the call", |u| u.ends_with(&format!("/volunteers/calls/{call}")))
                .await;
            let t = wd.find("#vol-work-form [name=title]").await;
            wd.send_keys(&t, &slogan).await;
            let b = wd.find("#vol-work-form [name=body]").await;
            wd.send_keys(&b, "凡是要你先垫钱的兼职,都是诈骗。").await;
            click(wd, "#vol-work-submit").await;
            until(wd, "main", |t| t.contains(&slogan) && t.contains("已提交")).await;
            fits(wd, 390).await;

            // Police accept it.
            wd.reset().await; // back to a desktop window
            sign_in(wd, base, "police1").await;
            wd.goto(&format!("{base}/volunteers/calls/{call}")).await;
            click(wd, "article[id^=work-] .vol-accept").await;
            until(wd, "main", |t| t.contains("已入选")).await;

            // The points appear on the student's page.
            sign_in(wd, base, STUDENT).await;
            wd.phone_viewport(390, 844).await;
            wd.goto(&format!("{base}/volunteers")).await;
            let after: i64 = text(wd, "#vol-balance").await.trim().parse().expect("balance");
            assert_eq!(after, before + 20);

            // Another school finds it in the library and reuses it in one step.
            wd.reset().await; // back to a desktop window
            sign_in(wd, base, "s002-admin").await;
            wd.goto(&format!("{base}/volunteers/library")).await;
            let lib = text(wd, "main").await;
            assert!(lib.contains("已被"), "use counts shown: {lib}");
            let q = wd.find("#vol-library-filter [name=q]").await;
            wd.send_keys(&q, &tag.to_string()).await;
            click(wd, "#vol-library-search").await;
            until(wd, "main", |t| t.contains(&slogan)).await;
            click(wd, "article.vol-item header a").await;
            wd.wait_url("the work", |u| u.contains("/volunteers/library/")).await;
            let credit = text(wd, "#vol-credit").await;
            assert!(credit.contains("CC BY 4.0") && credit.contains("已被 0 个单位使用"), "{credit}");
            click(wd, "#vol-reuse").await;
            until(wd, "#vol-credit", |t| t.contains("已被 1 个单位使用")).await;
            assert!(text(wd, "#vol-reused").await.contains("草稿"));

            // The student joins a team and reads the month's province leaderboard on the phone.
            sign_in(wd, base, STUDENT).await;
            wd.phone_viewport(390, 844).await;
            wd.goto(&format!("{base}/volunteers/library")).await;
            fits(wd, 390).await;
            wd.goto(&format!("{base}/volunteers/teams")).await;
            click(wd, "#vol-teams .vol-join").await;
            until(wd, "#vol-my-team", |t| t.contains("队")).await;
            fits(wd, 390).await;
            wd.goto(&format!("{base}/volunteers/leaderboard?reach=province&period=month"))
                .await;
            let lb = text(wd, "#vol-lb-period-schools").await;
            assert!(lb.contains("大学") || lb.contains("学院"), "{lb}");
            // Classes rank by the same period, each with how many of its volunteers earned.
            let classes = text(wd, "#vol-lb-period-classes").await;
            assert!(classes.contains(" 人"), "{classes}");
            fits(wd, 390).await;
            wd.screenshot(&target_dir().join("screenshots").join("volunteers-calls-phone.png"))
                .await;
        }
        .boxed()
    })
    .await;
}
