//! The probes of the matrix: the request each operation sends at a target, and the records it aims at.

use super::*;

/// Ids of the records the probes aim at.
#[derive(Default)]
pub(super) struct Records {
    pub(super) student_a: i64,
    pub(super) student_b: i64,
    pub(super) report_a: i64,
    pub(super) report_b: i64,
    pub(super) warning_a: i64,
    pub(super) warning_b: i64,
    pub(super) warning_partner: i64,
    pub(super) case_a: i64,
    pub(super) case_b: i64,
    pub(super) content_a: i64,
    pub(super) content_b: i64,
    pub(super) briefing_a: i64,
    pub(super) briefing_b: i64,
    /// The last inbox message of each account, and a message of another account.
    pub(super) inbox_b: i64,
    /// A token of another account.
    pub(super) token_b: i64,
}

pub(super) enum Body {
    None,
    Json(Value),
    Csv(&'static str),
    Bytes(Vec<u8>),
}

/// The request of `op` aimed at `target` (A, B, O or `-`); `own` holds the caller's own records
/// and `n`, a number unique to the call (for codes and keys).
pub(super) fn probe(
    op: &str,
    target: char,
    r: &Records,
    own: &BTreeMap<&str, i64>,
) -> (String, Body) {
    let (a_b, school, class, station, province, student, report, warning, case, content, briefing) =
        match target {
            'B' => (
                'B',
                "SCH2",
                "CLS2A1",
                "ST2",
                "P2",
                r.student_b,
                r.report_b,
                r.warning_b,
                r.case_b,
                r.content_b,
                r.briefing_b,
            ),
            _ => (
                'A',
                "SCH1",
                "CLS1A1",
                "ST1",
                "P1",
                r.student_a,
                r.report_a,
                r.warning_a,
                r.case_a,
                r.content_a,
                r.briefing_a,
            ),
        };
    let warning = if target == 'O' {
        own["warning"]
    } else {
        warning
    };
    let no = if a_b == 'A' {
        "2023010101"
    } else {
        "2023510101"
    };
    let phone = if a_b == 'A' {
        "13800001111"
    } else {
        "13900002111"
    };
    let j = Body::Json;
    let (path, body) = match op {
        "GET /api/v1/units" => ("/api/v1/units".into(), Body::None),
        "POST /api/v1/units" => (
            "/api/v1/units".into(),
            j(
                json!({"parent_code": school, "kind": "college", "code": format!("M{a_b}{}", own["n"]), "name": "新学院"}),
            ),
        ),
        "GET /api/v1/units/{code}" => (format!("/api/v1/units/{class}"), Body::None),
        "GET /api/v1/units/{code}/students" => {
            (format!("/api/v1/units/{class}/students"), Body::None)
        }
        "GET /api/v1/units/{code}/roster" => (format!("/api/v1/units/{class}/roster"), Body::None),
        "POST /api/v1/units/{code}/roster" => (
            format!("/api/v1/units/{school}/roster?kind=students"),
            Body::Csv("学号,姓名\n"),
        ),
        "POST /api/v1/units/{code}/activation-codes" => (
            format!("/api/v1/units/{class}/activation-codes"),
            Body::None,
        ),
        "GET /api/v1/students/{id}" => (format!("/api/v1/students/{student}"), Body::None),
        "GET /api/v1/students/{id}/responsible" => (
            format!("/api/v1/students/{student}/responsible"),
            Body::None,
        ),
        "GET /api/v1/audit" => ("/api/v1/audit".into(), Body::None),
        "GET /api/v1/inbox" => ("/api/v1/inbox".into(), Body::None),
        "POST /api/v1/inbox/{id}/read" => {
            let id = if target == 'O' {
                own["inbox"]
            } else {
                r.inbox_b
            };
            (format!("/api/v1/inbox/{id}/read"), Body::None)
        }
        "GET /api/v1/me" => ("/api/v1/me".into(), Body::None),
        "GET /api/v1/tokens" => ("/api/v1/tokens".into(), Body::None),
        "POST /api/v1/tokens/{id}/revoke" => {
            let id = if target == 'O' {
                own["spare_token"]
            } else {
                r.token_b
            };
            (format!("/api/v1/tokens/{id}/revoke"), Body::None)
        }
        "POST /api/v1/risk/check" => (
            "/api/v1/risk/check".into(),
            j(json!({"kind": "phone", "value": "17088886666"})),
        ),
        "POST /api/v1/intel/import" => (
            "/api/v1/intel/import?format=csv&dry_run=true".into(),
            Body::Csv(
                "kind,value,status,fraud_types,tlp\nphone,17012345678,reported,fake_loan,green\n",
            ),
        ),
        "POST /api/v1/warnings" => (
            "/api/v1/warnings".into(),
            j(
                json!({"phone": phone, "fraud_type": "fake_loan", "severity": "low", "detail": "matrix", "source": "96110"}),
            ),
        ),
        "POST /api/v1/warnings/batch" => (
            "/api/v1/warnings/batch".into(),
            Body::Csv("phone,fraud_type,severity\n13800001112,fake_loan,low\n"),
        ),
        "GET /api/v1/warnings" => ("/api/v1/warnings".into(), Body::None),
        "GET /api/v1/warnings/mine" => ("/api/v1/warnings/mine".into(), Body::None),
        "GET /api/v1/warnings/{id}" => (format!("/api/v1/warnings/{warning}"), Body::None),
        "POST /api/v1/warnings/{id}/acknowledge" => (
            format!("/api/v1/warnings/{warning}/acknowledge"),
            Body::None,
        ),
        "POST /api/v1/warnings/{id}/contact" => (
            format!("/api/v1/warnings/{warning}/contact"),
            j(json!({"method": "phone", "notes": "matrix"})),
        ),
        "POST /api/v1/warnings/{id}/outcome" => (
            format!("/api/v1/warnings/{warning}/outcome"),
            j(json!({"outcome": "dissuaded"})),
        ),
        "POST /api/v1/warnings/{id}/identify" => (
            format!("/api/v1/warnings/{warning}/identify"),
            j(json!({"student_no": no})),
        ),
        "GET /api/v1/warnings/figures" => {
            (format!("/api/v1/warnings/figures?unit={class}"), Body::None)
        }
        "GET /api/v1/warnings/appraisal" => (
            format!("/api/v1/warnings/appraisal?unit={school}"),
            Body::None,
        ),
        "GET /api/v1/warnings/settings/{school}" => {
            (format!("/api/v1/warnings/settings/{school}"), Body::None)
        }
        "PUT /api/v1/warnings/settings/{school}" => (
            format!("/api/v1/warnings/settings/{school}"),
            j(
                json!({"high_ack_min": "15", "high_contact_min": "30", "medium_ack_min": "60",
                "medium_contact_min": "1440", "low_ack_min": "1440", "low_contact_min": "4320",
                "weight_ack": "25", "weight_contact": "25", "weight_escalations": "25",
                "weight_victims": "25"}),
            ),
        ),
        "GET /api/v1/cases" => (format!("/api/v1/cases?unit={school}"), Body::None),
        "POST /api/v1/cases" => ("/api/v1/cases".into(), j(case_body(school, no))),
        "GET /api/v1/cases/{id}" => (format!("/api/v1/cases/{case}"), Body::None),
        "PUT /api/v1/cases/{id}" => (format!("/api/v1/cases/{case}"), j(case_body(school, no))),
        "POST /api/v1/cases/import" => ("/api/v1/cases/import".into(), Body::Csv("unit\n")),
        "GET /api/v1/cases/analysis" => {
            (format!("/api/v1/cases/analysis?unit={school}"), Body::None)
        }
        "GET /api/v1/cases/kpis" => (format!("/api/v1/cases/kpis?unit={station}"), Body::None),
        "POST /api/v1/cases/kpis" => (
            "/api/v1/cases/kpis".into(),
            j(json!({"unit": station, "month": "2025-01", "suspects_arrested": 1})),
        ),
        "GET /api/v1/cases/briefings" => ("/api/v1/cases/briefings".into(), Body::None),
        "POST /api/v1/cases/briefings" => (
            "/api/v1/cases/briefings".into(),
            j(json!({"station": station, "month": "2025-01", "title": "一月通报"})),
        ),
        "GET /api/v1/cases/briefings/{id}" => {
            (format!("/api/v1/cases/briefings/{briefing}"), Body::None)
        }
        "POST /api/v1/cases/briefings/{id}/publish" => (
            format!("/api/v1/cases/briefings/{briefing}/publish"),
            Body::None,
        ),
        "GET /api/v1/cases/ranking" => (
            format!("/api/v1/cases/ranking?province={province}&year=2024"),
            Body::None,
        ),
        "GET /api/v1/cases/awards" => (
            format!("/api/v1/cases/awards?province={province}&year=2024"),
            Body::None,
        ),
        "POST /api/v1/cases/awards" => (
            "/api/v1/cases/awards".into(),
            j(json!({"province": province, "year": 2024, "schools": []})),
        ),
        "POST /api/v1/cases/awards/publish" => (
            "/api/v1/cases/awards/publish".into(),
            j(json!({"province": province, "year": 2024})),
        ),
        "GET /api/v1/campaigns/contents" => ("/api/v1/campaigns/contents".into(), Body::None),
        "POST /api/v1/campaigns/contents" => {
            ("/api/v1/campaigns/contents".into(), j(article(school)))
        }
        "GET /api/v1/campaigns/contents/{id}" => {
            (format!("/api/v1/campaigns/contents/{content}"), Body::None)
        }
        "PUT /api/v1/campaigns/contents/{id}" => (
            format!("/api/v1/campaigns/contents/{content}"),
            j(article(school)),
        ),
        "POST /api/v1/campaigns/contents/{id}/{step}" => (
            format!("/api/v1/campaigns/contents/{content}/submit"),
            j(json!({})),
        ),
        "GET /api/v1/campaigns/channels" => ("/api/v1/campaigns/channels".into(), Body::None),
        "POST /api/v1/campaigns/channels" => (
            "/api/v1/campaigns/channels".into(),
            j(
                json!({"unit": school, "kind": "webhook", "name": "hook", "url": "http://127.0.0.1:9/hook", "secret": "s3cret-s3cret-s3cret"}),
            ),
        ),
        "POST /api/v1/campaigns/preview" => (
            "/api/v1/campaigns/preview".into(),
            j(json!({"unit": school, "fraud_type": "rebate_task", "audience": {"units": [class]}})),
        ),
        "GET /api/v1/campaigns" => ("/api/v1/campaigns".into(), Body::None),
        "POST /api/v1/campaigns" => (
            "/api/v1/campaigns".into(),
            j(
                json!({"unit": school, "title": "开学季", "content_id": content, "fraud_type": "rebate_task", "audience": {"units": [class]}}),
            ),
        ),
        "GET /api/v1/campaigns/{id}" => ("/api/v1/campaigns/999999".into(), Body::None),
        "POST /api/v1/campaigns/{id}/recall" => {
            ("/api/v1/campaigns/999999/recall".into(), j(json!({})))
        }
        "GET /api/v1/campaigns/{id}/reach" => ("/api/v1/campaigns/999999/reach".into(), Body::None),
        "GET /api/v1/campaigns/gaps" => {
            (format!("/api/v1/campaigns/gaps?unit={class}"), Body::None)
        }
        "GET /api/v1/campaigns/exposure" => (
            format!("/api/v1/campaigns/exposure?unit={class}&fraud_type=rebate_task"),
            Body::None,
        ),
        "GET /api/v1/campaigns/deliveries/{id}" => {
            ("/api/v1/campaigns/deliveries/999999".into(), Body::None)
        }
        "POST /api/v1/campaigns/deliveries/{id}/ack" => {
            ("/api/v1/campaigns/deliveries/999999/ack".into(), Body::None)
        }
        "POST /api/v1/campaigns/deliveries/{id}/quiz" => (
            "/api/v1/campaigns/deliveries/999999/quiz".into(),
            j(json!({"answers": [0]})),
        ),
        "POST /api/v1/reports" => (
            "/api/v1/reports".into(),
            j(
                json!({"idempotency_key": format!("matrix-{}", own["n"]), "call": {"number": "170 8888 6666"}}),
            ),
        ),
        "GET /api/v1/reports" => ("/api/v1/reports".into(), Body::None),
        "POST /api/v1/reports/prefill" => (
            "/api/v1/reports/prefill".into(),
            j(json!({"text": "加QQ 2847561039 刷单返利"})),
        ),
        "GET /api/v1/reports/{id}" => (format!("/api/v1/reports/{report}"), Body::None),
        "POST /api/v1/reports/{id}/triage" => (
            format!("/api/v1/reports/{report}/triage"),
            j(json!({"decision": "reply", "text": "收到"})),
        ),
        "POST /api/v1/reports/{id}/evidence" => (
            format!("/api/v1/reports/{report}/evidence"),
            Body::Bytes(b"not an image".to_vec()),
        ),
        "GET /api/v1/reports/{id}/evidence/{eid}" => (
            format!("/api/v1/reports/{report}/evidence/999999"),
            Body::None,
        ),
        "GET /api/v1/reports/stop-payments" => ("/api/v1/reports/stop-payments".into(), Body::None),
        "POST /api/v1/reports/stop-payments/{id}/actions" => (
            "/api/v1/reports/stop-payments/999999/actions".into(),
            j(json!({"action": "accept"})),
        ),
        "GET /api/v1/reports/clusters" => ("/api/v1/reports/clusters".into(), Body::None),
        "GET /api/v1/reports/figures" => ("/api/v1/reports/figures".into(), Body::None),
        "POST /api/v1/volunteers/register" => (
            "/api/v1/volunteers/register".into(),
            j(json!({"contact": "inbox", "consent": true})),
        ),
        "GET /api/v1/volunteers/me" => ("/api/v1/volunteers/me".into(), Body::None),
        "GET /api/v1/volunteers/tasks" => ("/api/v1/volunteers/tasks".into(), Body::None),
        "POST /api/v1/volunteers/tasks" => (
            "/api/v1/volunteers/tasks".into(),
            j(
                json!({"title": "食堂反诈宣传", "description": "发传单", "place": "一食堂",
                "starts_at": 1_900_000_000_000i64, "ends_at": 1_900_003_600_000i64,
                "slots": 5, "points": 10, "proof": "text", "targets": []}),
            ),
        ),
        "GET /api/v1/volunteers/tasks/{id}" => {
            ("/api/v1/volunteers/tasks/999999".into(), Body::None)
        }
        "POST /api/v1/volunteers/tasks/{id}/claim" => {
            ("/api/v1/volunteers/tasks/999999/claim".into(), j(json!({})))
        }
        "POST /api/v1/volunteers/tasks/{id}/withdraw" => (
            "/api/v1/volunteers/tasks/999999/withdraw".into(),
            Body::None,
        ),
        "POST /api/v1/volunteers/tasks/{id}/status" => (
            "/api/v1/volunteers/tasks/999999/status".into(),
            j(json!({"status": "closed"})),
        ),
        "GET /api/v1/volunteers/tasks/{id}/code" => {
            ("/api/v1/volunteers/tasks/999999/code".into(), Body::None)
        }
        "POST /api/v1/volunteers/tasks/{id}/check" => (
            "/api/v1/volunteers/tasks/999999/check".into(),
            j(json!({"code": "123456"})),
        ),
        "POST /api/v1/volunteers/tasks/{id}/proof" => (
            "/api/v1/volunteers/tasks/999999/proof".into(),
            j(json!({"text": "发放传单"})),
        ),
        "POST /api/v1/volunteers/claims/{id}/review" => (
            "/api/v1/volunteers/claims/999999/review".into(),
            j(json!({"decision": "approve"})),
        ),
        "POST /api/v1/volunteers/rewards/{id}/redeem" => (
            "/api/v1/volunteers/rewards/999999/redeem".into(),
            j(json!({"key": format!("matrix-{}", own["n"])})),
        ),
        "GET /api/v1/contests" => ("/api/v1/contests".into(), Body::None),
        "GET /api/v1/contests/{id}" => ("/api/v1/contests/999999".into(), Body::None),
        "GET /api/v1/contests/{id}/entries" => {
            ("/api/v1/contests/999999/entries".into(), Body::None)
        }
        "POST /api/v1/contests/{id}/entries/{eid}/vote" => (
            "/api/v1/contests/999999/entries/1/vote".into(),
            j(json!({})),
        ),
        "POST /api/v1/contests/{id}/entries/{eid}/withdraw" => (
            "/api/v1/contests/999999/entries/1/withdraw".into(),
            j(json!({})),
        ),
        "POST /api/v1/contests/{id}/entries/{eid}/score" => (
            "/api/v1/contests/999999/entries/1/score".into(),
            j(json!({"marks": {"主题": 8}})),
        ),
        "POST /api/v1/contests/{id}/votes/change" => (
            "/api/v1/contests/999999/votes/change".into(),
            j(json!({"from": 1, "to": 2})),
        ),
        "GET /api/v1/contests/{id}/ballots/mine" => {
            ("/api/v1/contests/999999/ballots/mine".into(), Body::None)
        }
        "GET /api/v1/contests/{id}/progress" => {
            ("/api/v1/contests/999999/progress".into(), Body::None)
        }
        "GET /api/v1/contests/{id}/anomalies" => {
            ("/api/v1/contests/999999/anomalies".into(), Body::None)
        }
        "POST /api/v1/contests/{id}/publish" => {
            ("/api/v1/contests/999999/publish".into(), j(json!({})))
        }
        "GET /api/v1/contests/{id}/results" => {
            ("/api/v1/contests/999999/results".into(), Body::None)
        }
        "POST /api/v1/contests/{id}/push" => (
            "/api/v1/contests/999999/push".into(),
            j(json!({"fraud_type": "fake_loan"})),
        ),
        "GET /api/v1/volunteers/calls" => ("/api/v1/volunteers/calls".into(), Body::None),
        "POST /api/v1/volunteers/calls" => (
            "/api/v1/volunteers/calls".into(),
            j(
                json!({"title": "标语征集", "theme": "刷单", "rules": "每人五件", "kinds": ["slogan"],
                "fraud_type": "rebate_task", "audience": "students", "licence": "cc_by",
                "points": 10, "closes_at": 1_900_000_000_000i64, "targets": []}),
            ),
        ),
        "GET /api/v1/volunteers/calls/{id}" => {
            ("/api/v1/volunteers/calls/999999".into(), Body::None)
        }
        "POST /api/v1/volunteers/calls/{id}/close" => {
            ("/api/v1/volunteers/calls/999999/close".into(), Body::None)
        }
        "POST /api/v1/volunteers/calls/{id}/works" => (
            "/api/v1/volunteers/calls/999999/works".into(),
            j(json!({"kind": "slogan", "title": "标语", "body": "刷单是诈骗"})),
        ),
        "POST /api/v1/volunteers/works/{id}/review" => (
            "/api/v1/volunteers/works/999999/review".into(),
            j(json!({"decision": "accept"})),
        ),
        "POST /api/v1/volunteers/works/{id}/contest" => (
            "/api/v1/volunteers/works/999999/contest".into(),
            j(json!({"contest_id": 999999})),
        ),
        "GET /api/v1/volunteers/library" => ("/api/v1/volunteers/library".into(), Body::None),
        "GET /api/v1/volunteers/library/{id}" => {
            ("/api/v1/volunteers/library/999999".into(), Body::None)
        }
        "POST /api/v1/volunteers/library/{id}/reuse" => {
            ("/api/v1/volunteers/library/999999/reuse".into(), Body::None)
        }
        "POST /api/v1/volunteers/library/contests/{id}" => (
            "/api/v1/volunteers/library/contests/999999".into(),
            Body::None,
        ),
        "GET /api/v1/volunteers/teams" => ("/api/v1/volunteers/teams".into(), Body::None),
        "POST /api/v1/volunteers/teams" => (
            "/api/v1/volunteers/teams".into(),
            j(json!({"name": format!("宣讲队{}", own["n"])})),
        ),
        "POST /api/v1/volunteers/teams/{id}/join" => {
            ("/api/v1/volunteers/teams/999999/join".into(), Body::None)
        }
        "POST /api/v1/volunteers/teams/leave" => {
            ("/api/v1/volunteers/teams/leave".into(), Body::None)
        }
        "POST /api/v1/volunteers/volunteers/{id}/adjust" => (
            "/api/v1/volunteers/volunteers/999999/adjust".into(),
            j(json!({"points": 5, "reason": "补录", "key": format!("matrix-{}", own["n"])})),
        ),
        "GET /api/v1/volunteers/leaderboard" => {
            ("/api/v1/volunteers/leaderboard".into(), Body::None)
        }
        "GET /api/v1/mules/starter" => ("/api/v1/mules/starter".into(), Body::None),
        "POST /api/v1/mules/starter" => (
            "/api/v1/mules/starter".into(),
            j(json!({"school": school, "item": "article"})),
        ),
        "GET /api/v1/volunteers/balance" => ("/api/v1/volunteers/balance".into(), Body::None),
        "POST /api/v1/mules/signals" => (
            "/api/v1/mules/signals".into(),
            j(
                json!({"reference": format!("matrix-{}", own["n"]), "phone": phone,
                "account_kind": "bank_card", "pattern": "frozen"}),
            ),
        ),
        "GET /api/v1/mules/signals/{id}" => {
            let id = if a_b == 'A' {
                r.warning_partner
            } else {
                r.warning_b
            };
            (format!("/api/v1/mules/signals/{id}"), Body::None)
        }
        "GET /api/v1/mules/police" => ("/api/v1/mules/police".into(), Body::None),
        "GET /api/v1/mules/figures" => (format!("/api/v1/mules/figures?unit={class}"), Body::None),
        "GET /api/v1/mules/warnings/{id}/facts" => (
            format!("/api/v1/mules/warnings/{warning}/facts"),
            Body::None,
        ),
        "PUT /api/v1/mules/rules/{province}" => (
            format!("/api/v1/mules/rules/{province}"),
            j(json!({"max_suspects": 0})),
        ),
        other => panic!("no probe for {other}: add one (and a row of TABLE)"),
    };
    (path, body)
}

pub(super) fn case_body(school: &str, no: &str) -> Value {
    json!({
        "unit": school, "student_no": no, "fraud_type": "rebate_task", "channel": "qq",
        "occurred_at": "2025-02-14 21:30", "amount_lost": "100", "status": "open",
        "narrative": "刷单返利", "indicators": []
    })
}

pub(super) fn article(unit: &str) -> Value {
    json!({
        "unit": unit, "kind": "article", "title": "刷单返利防范", "body_md": "别信刷单",
        "fraud_types": ["rebate_task"], "target_hint": "新生",
        "quiz": [{"q": "先垫付吗?", "choices": ["垫付", "拒绝"], "answer": 1}]
    })
}
