//! Tickets and flows pruned after a day, and the return to where the person was going.

use super::*;

#[tokio::test]
pub(super) async fn tickets_and_flows_are_pruned_after_a_day() {
    let (app, _cas, _) = with_cas().await;
    let c = client();
    let back = cas_ticket_url(&app, &c, "SCH1", "2023010102").await;
    assert_eq!(
        c.get(&back).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM sso_tickets").await, 1);
    let r = fanzha::db::maintenance::Retention::of(&app.state.config);
    fanzha::db::maintenance::prune(&app.state.db, &app.state.clock, r)
        .await
        .unwrap();
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM sso_tickets").await,
        1,
        "kept for a day"
    );
    app.state.clock.advance_ms(2 * 86_400_000);
    fanzha::db::maintenance::prune(&app.state.db, &app.state.clock, r)
        .await
        .unwrap();
    assert_eq!(app.scalar("SELECT COUNT(*) FROM sso_tickets").await, 0);
}

/// A CAS sign-in started from a page lands back on that page: the destination rides in the
/// service URL the CAS server binds its ticket to, so changing it on the way back is refused.
#[tokio::test]
pub(super) async fn cas_sign_in_returns_to_where_the_person_was_going() {
    let (app, _cas, _) = with_cas().await;
    let c = client();
    let r = c
        .get(app.url("/sso/SCH1/start?next=/reports/new"))
        .send()
        .await
        .unwrap();
    let login = location(&r);
    let service = app.url("/sso/cas/SCH1?next=/reports/new");
    assert!(
        login.ends_with(&format!(
            "/login?service={}",
            fanzha::web::context::urlencode(&service)
        )),
        "{login}"
    );
    let cas_base = login.split("/login?").next().unwrap().to_string();
    let ticket_for = |c: Client, service: String| {
        let cas_base = cas_base.clone();
        async move {
            let r = c
                .post(format!("{cas_base}/login"))
                .form(&[
                    ("service", service.as_str()),
                    ("username", "2023010102"),
                    ("password", "cas-pw"),
                ])
                .send()
                .await
                .unwrap();
            location(&r)
        }
    };
    let back = ticket_for(c.clone(), service.clone()).await;
    let r = c.get(&back).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/reports/new");

    // The same kind of ticket, with the destination changed on the way back: the CAS server
    // refuses the other service, nobody is signed in.
    let other = client();
    let back = ticket_for(other.clone(), service.clone()).await;
    let before = app.scalar("SELECT COUNT(*) FROM sessions").await;
    let r = other
        .get(back.replace("next=/reports/new", "next=/org"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM sessions").await, before);
    // A destination off the site is never used.
    let r = client()
        .get(app.url("/sso/SCH1/start?next=//evil.example/"))
        .send()
        .await
        .unwrap();
    assert!(
        location(&r).ends_with(&fanzha::web::context::urlencode(&app.url("/sso/cas/SCH1"))),
        "{}",
        location(&r)
    );
}
