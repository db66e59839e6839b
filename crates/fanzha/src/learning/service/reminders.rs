//! Reminders as jobs. A required course's enrolment (an intake, a unit) has a deadline; three days
//! before it and at it, a `learning.deadline` job tells those not finished in their inbox and posts
//! a count (never names) to the school's channels (the robots and webhooks the school chose for
//! its notices). A counselor's *remind* button queues a `learning.remind` job the same way.
//!
//! Jobs are rows with a dedup key per enrolment, stage and deadline, so a restart neither forgets
//! nor repeats one; the inbox notices and the channel posts of one reminder are written in one
//! transaction (inbox rows unique per recipient and source, one `learning.post` job per channel),
//! so a retried job tells nobody twice. A deadline changed later leaves the old jobs stale: they
//! find another deadline and do nothing.

use super::*;
#[allow(unused_imports)]
use crate::kernel::ids::UnitId;

use sqlx::AnyConnection;

use crate::campaigns::channels;
use crate::campaigns::model::ChannelKind;
use crate::campaigns::service::ChannelSettings;
use crate::clock::Clock;
use crate::db::jobs::{enqueue_with, Job, JobRegistry, NewJob};
use crate::db::{Db, DbError};

pub const DEADLINE_JOB: &str = "learning.deadline";
pub const REMIND_JOB: &str = "learning.remind";
pub const POST_JOB: &str = "learning.post";
/// How long before a deadline the first reminder goes out.
pub const SOON_MS: Millis = 3 * 86_400_000;

/// Queues the two reminders of an enrolment's deadline (the early one only while it is ahead).
pub async fn schedule_deadline(
    c: &mut AnyConnection,
    now: Millis,
    enrolment_id: i64,
    deadline: Millis,
) -> Result<(), DbError> {
    let clock = Clock::manual(now);
    for (stage, at) in [("soon", deadline - SOON_MS), ("due", deadline)] {
        if stage == "soon" && at <= now {
            continue;
        }
        enqueue_with(
            &mut *c,
            &clock,
            NewJob::new(
                DEADLINE_JOB,
                serde_json::json!({"enrolment": enrolment_id, "stage": stage, "deadline": deadline}),
            )
            .dedup(format!("{DEADLINE_JOB}:{enrolment_id}:{stage}:{deadline}"))
            .run_at(at),
        )
        .await?;
    }
    Ok(())
}

/// The roster brought in students of enrolment years the school did not have: every course the
/// school hands to new intakes is enrolled for them, with its deadline and reminders. Runs in the
/// import's transaction, so an import that fails assigns nothing.
pub async fn intake_arrived(
    c: &mut AnyConnection,
    school_id: UnitId,
    years: &[i64],
    now: Millis,
) -> Result<usize, DbError> {
    if years.is_empty() {
        return Ok(0);
    }
    let new = store::enrol_intakes(c, school_id, years, now).await?;
    for (id, deadline) in &new {
        schedule_deadline(c, now, *id, *deadline).await?;
    }
    Ok(new.len())
}

/// Queues a counselor's reminder; two presses within a minute send once. The job counts again
/// when it runs, so a student who finished meanwhile is not told.
pub(super) async fn queue_reminder(
    clock: &Clock,
    jobs: &JobQueue,
    what: &str,
    course_id: i64,
    school_id: UnitId,
    under: &Unit,
) -> Result<(), LearningError> {
    let minute = clock.now_ms() / 60_000;
    jobs.enqueue(
        NewJob::new(
            REMIND_JOB,
            serde_json::json!({"what": what, "course": course_id, "school": school_id,
                    "unit_path": under.path, "unit_name": under.name, "stamp": minute}),
        )
        .dedup(format!(
            "{REMIND_JOB}:{what}:{course_id}:{}:{minute}",
            under.id
        )),
    )
    .await?;
    Ok(())
}

/// Tells `students` in their inbox and posts `group` to the school's channels, once per `source`.
async fn deliver(
    db: &Db,
    clock: &Clock,
    school_id: UnitId,
    students: &[i64],
    n: &Notice,
    group: &Notice,
    source: &str,
) -> Result<(), DbError> {
    if students.is_empty() {
        return Ok(());
    }
    let mut tx = db.begin_write().await?;
    for id in students {
        inbox::notify_once(&mut *tx, clock, &Recipient::Student(*id), n, Some(source)).await?;
    }
    let chans = crate::warnings::notify::channels_of_school(&mut tx, school_id).await?;
    for (channel, kind) in chans {
        // Students have no staff email on record: mail is for staff notices; robots get the count.
        if kind == "email" {
            continue;
        }
        enqueue_with(
            &mut *tx,
            clock,
            NewJob::new(
                POST_JOB,
                serde_json::json!({"channel": channel, "title": group.title, "body": group.body,
                    "link": group.link.clone().unwrap_or_default(), "source": source}),
            )
            .dedup(format!("{POST_JOB}:{source}:{channel}"))
            .max_attempts(4),
        )
        .await?;
    }
    tx.commit().await?;
    inbox::bump();
    Ok(())
}

fn china_time(at: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .map(|d| {
            d.with_timezone(&chrono_tz::Asia::Shanghai)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// A deadline job: tells those of the enrolment who have not finished.
pub async fn run_deadline(
    db: &Db,
    clock: &Clock,
    payload: &serde_json::Value,
) -> Result<usize, DbError> {
    let (Some(id), Some(stage), Some(deadline)) = (
        payload["enrolment"].as_i64(),
        payload["stage"].as_str(),
        payload["deadline"].as_i64(),
    ) else {
        return Ok(0);
    };
    let Some(e) = store::enrolment_by_id(db, id).await? else {
        return Ok(0);
    };
    let Some(c) = store::course_by_id(db, e.course_id).await? else {
        return Ok(0);
    };
    if e.deadline_at.or(c.deadline_at) != Some(deadline) {
        return Ok(0);
    }
    let ids = store::unfinished_of_enrolment(db, &e).await?;
    let when = china_time(deadline);
    let (title, body) = if stage == "soon" {
        (
            format!("课程即将截止:{}", c.title),
            format!("你还没有完成这门课程,截止时间 {when}(北京时间),请尽快学习并通过测验。"),
        )
    } else {
        (
            format!("课程已到截止时间:{}", c.title),
            format!("这门课程已于 {when}(北京时间)截止,你还没有完成,请尽快补学并联系辅导员。"),
        )
    };
    let n = Notice {
        kind: "learning".into(),
        title: title.clone(),
        body,
        link: Some(format!("/learning/courses/{}", c.id)),
    };
    let who = match e.year {
        Some(y) => format!("{y}级"),
        None => String::new(),
    };
    let group = Notice {
        kind: "learning".into(),
        title,
        body: format!(
            "{who}还有 {} 名同学未完成《{}》(截止 {when}),请各位辅导员在学习覆盖情况中查看本班名单并提醒。",
            ids.len(),
            c.title
        ),
        link: Some("/learning/coverage".into()),
    };
    deliver(
        db,
        clock,
        c.school_id,
        &ids,
        &n,
        &group,
        &format!("learning-deadline:{id}:{stage}:{deadline}"),
    )
    .await?;
    Ok(ids.len())
}

/// A counselor's reminder job: the unfinished of a course, or the unsigned of the pledge, under a
/// unit.
async fn run_remind(db: &Db, clock: &Clock, p: &serde_json::Value) -> Result<usize, DbError> {
    let (what, course, school, path, unit_name, stamp) = (
        p["what"].as_str().unwrap_or_default(),
        p["course"].as_i64().unwrap_or_default(),
        UnitId(p["school"].as_i64().unwrap_or_default()),
        p["unit_path"].as_str().unwrap_or_default(),
        p["unit_name"].as_str().unwrap_or_default(),
        p["stamp"].as_i64().unwrap_or_default(),
    );
    let (ids, n, group) = if what == "pledge" {
        let ids = store::unsigned_students(db, path).await?;
        let n = Notice {
            kind: "learning".into(),
            title: "请签署反诈承诺书".into(),
            body: "自觉防诈、拒绝参诈、坚决反诈:请阅读并签署学校的反诈承诺书。".into(),
            link: Some("/learning/pledge".into()),
        };
        let group = Notice {
            body: format!("{unit_name}还有 {} 名同学未签署反诈承诺书。", ids.len()),
            ..n.clone()
        };
        (ids, n, group)
    } else {
        let Some(c) = store::course_by_id(db, course).await? else {
            return Ok(0);
        };
        let ids = store::unfinished_students(db, c.id, path).await?;
        let n = Notice {
            kind: "learning".into(),
            title: format!("请完成课程:{}", c.title),
            body: match c.deadline_at {
                Some(d) => format!(
                    "你还没有完成这门课程,截止时间 {}(北京时间),请尽快学习并通过测验。",
                    china_time(d)
                ),
                None => "你还没有完成这门课程,请尽快学习并通过测验。".into(),
            },
            link: Some(format!("/learning/courses/{}", c.id)),
        };
        let group = Notice {
            body: format!(
                "{unit_name}还有 {} 名同学未完成《{}》。",
                ids.len(),
                c.title
            ),
            link: Some("/learning/coverage".into()),
            ..n.clone()
        };
        (ids, n, group)
    };
    let source = format!("learning-remind:{what}:{course}:{path}:{stamp}");
    deliver(db, clock, school, &ids, &n, &group, &source).await?;
    Ok(ids.len())
}

/// Posts one reminder to one channel of the school (retried by the queue with backoff).
async fn post(
    db: &Db,
    clock: &Clock,
    s: &ChannelSettings,
    client: &reqwest::Client,
    job: &Job,
) -> Result<(), String> {
    let p = &job.payload;
    let id = p["channel"].as_i64().ok_or("no channel")?;
    let Some(ch) = crate::campaigns::store::channel_by_id(db, id)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(());
    };
    if !ch.enabled() {
        return Ok(());
    }
    if let Some(at) = crate::campaigns::service::rate_wait(db, clock.now_ms(), &ch)
        .await
        .map_err(|e| e.to_string())?
    {
        enqueue_with(
            &db.pool,
            clock,
            NewJob::new(POST_JOB, p.clone())
                .dedup(format!(
                    "{POST_JOB}:{}:{id}:after:{at}",
                    p["source"].as_str().unwrap_or_default()
                ))
                .run_at(at)
                .max_attempts(4),
        )
        .await
        .map_err(|e| e.to_string())?;
        return Ok(());
    }
    let kind = ch
        .kind
        .parse::<ChannelKind>()
        .map_err(|_| format!("unknown channel kind {}", ch.kind))?;
    let title = p["title"].as_str().unwrap_or_default().to_string();
    let body = p["body"].as_str().unwrap_or_default().to_string();
    let link = format!(
        "{}{}",
        s.public_url.trim_end_matches('/'),
        p["link"].as_str().unwrap_or_default()
    );
    let m = channels::Message {
        title: title.clone(),
        summary: body.clone(),
        link: link.clone(),
        webhook_body: serde_json::json!({"event": "learning.reminder",
            "reminder": {"title": title, "body": body, "link": link}}),
    };
    let target = channels::Target {
        kind,
        url: ch.url.clone(),
        secret: ch.secret.clone(),
    };
    channels::post_message(client, &target, &m, clock.now_ms(), s.timeout).await
}

/// Registers the reminder jobs.
pub fn register_jobs(reg: &mut JobRegistry, db: Db, clock: Clock, settings: ChannelSettings) {
    let client = channels::http_client(settings.ca_file.as_deref()).unwrap_or_else(|e| {
        tracing::error!(error = %e, "learning reminders: extra CA file");
        channels::http_client(None).unwrap_or_default()
    });
    {
        let (db, clock) = (db.clone(), clock.clone());
        reg.register(DEADLINE_JOB, move |job: Job| {
            let (db, clock) = (db.clone(), clock.clone());
            async move {
                run_deadline(&db, &clock, &job.payload)
                    .await
                    .map(|n| tracing::debug!(told = n, "learning deadline"))
                    .map_err(|e| e.to_string())
            }
        });
    }
    {
        let (db, clock) = (db.clone(), clock.clone());
        reg.register(REMIND_JOB, move |job: Job| {
            let (db, clock) = (db.clone(), clock.clone());
            async move {
                run_remind(&db, &clock, &job.payload)
                    .await
                    .map(|n| tracing::debug!(told = n, "learning reminder"))
                    .map_err(|e| e.to_string())
            }
        });
    }
    reg.register(POST_JOB, move |job: Job| {
        let (db, clock, s, client) = (db.clone(), clock.clone(), settings.clone(), client.clone());
        async move { post(&db, &clock, &s, &client, &job).await }
    });
}
