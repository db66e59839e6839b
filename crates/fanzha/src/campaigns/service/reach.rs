//! Reach: the funnel of a campaign per unit as a tree, its timeline, the units below a
//! threshold, and the gap lists (students never reached, victims never warned of their case's
//! fraud type).

use crate::kernel::ids::{StudentId, UnitId};
use std::collections::BTreeMap;

use super::*;
use crate::campaigns::store;
use crate::clock::Clock;

/// The funnel of a campaign (inbox deliveries: one per person) within some subtrees.
#[derive(Clone, Debug, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Funnel {
    pub audience: i64,
    /// Delivered: reached in the inbox (an active account) or by an outside channel that
    /// reaches the person (email). Group robot posts never count here.
    pub sent: i64,
    /// In the audience but reachable by no channel (no active account, no outside address):
    /// counted in the audience, never as delivered.
    pub unreachable: i64,
    pub opened: i64,
    pub acknowledged: i64,
    pub quiz_passed: i64,
    pub clicked: i64,
    /// acknowledged / audience, 0–1.
    pub reach: f64,
}

impl Funnel {
    fn finish(mut self) -> Self {
        self.reach = if self.audience > 0 {
            self.acknowledged as f64 / self.audience as f64
        } else {
            0.0
        };
        self
    }
    fn add(&mut self, o: &Funnel) {
        self.audience += o.audience;
        self.sent += o.sent;
        self.unreachable += o.unreachable;
        self.opened += o.opened;
        self.acknowledged += o.acknowledged;
        self.quiz_passed += o.quiz_passed;
        self.clicked += o.clicked;
    }
}

/// One unit of the reach tree.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ReachNode {
    pub unit_id: UnitId,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub path: String,
    pub funnel: Funnel,
    #[schema(no_recursion)]
    pub children: Vec<ReachNode>,
}

/// Funnel per delivery unit path (classes, or staff units) of a campaign under `root`, from the
/// rollup.
async fn funnel_by_path(
    db: &Db,
    campaign_id: i64,
    root: &str,
) -> SvcResult<BTreeMap<String, Funnel>> {
    let mut m = BTreeMap::new();
    for r in store::reach_rows(db, campaign_id, root).await? {
        m.insert(
            r.unit_path,
            Funnel {
                audience: r.audience,
                sent: r.sent,
                opened: r.opened,
                acknowledged: r.acknowledged,
                quiz_passed: r.quiz_passed,
                clicked: r.clicked,
                unreachable: r.unreachable,
                reach: 0.0,
            },
        );
    }
    Ok(m)
}

/// The reach tree of a campaign below `root` (province → school → college → class), each node's
/// funnel rolled up from the classes under it. Units without audience are left out.
pub async fn reach_tree(
    db: &Db,
    trees: &UnitTrees,
    campaign_id: i64,
    root: &str,
) -> SvcResult<Option<ReachNode>> {
    let by_path = funnel_by_path(db, campaign_id, root).await?;
    let tree = trees.get(db).await?;
    let Some(&root_ix) = tree.by_path.get(root) else {
        return Ok(None);
    };
    // Each rollup row belongs to its unit (or, for a unit the cached tree does not know, to its
    // nearest known ancestor); totals are summed bottom-up while building.
    let mut own: std::collections::HashMap<usize, Funnel> = std::collections::HashMap::new();
    for (path, f) in &by_path {
        let mut p = path.as_str();
        let ix = loop {
            if let Some(&ix) = tree.by_path.get(p) {
                break Some(ix);
            }
            // "/1/5/9/" → "/1/5/"
            match p[..p.len().saturating_sub(1)].rfind('/') {
                Some(i) if i + 1 >= root.len() => p = &p[..=i],
                _ => break None,
            }
        };
        if let Some(ix) = ix {
            own.entry(ix).or_default().add(f);
        }
    }
    fn build(
        ix: usize,
        tree: &UnitTree,
        own: &std::collections::HashMap<usize, Funnel>,
    ) -> Option<ReachNode> {
        let children: Vec<ReachNode> = tree.kids[ix]
            .iter()
            .filter_map(|&c| build(c, tree, own))
            .collect();
        let mine = own.get(&ix);
        if mine.is_none() && children.is_empty() {
            return None;
        }
        let mut f = mine.cloned().unwrap_or_default();
        for c in &children {
            f.add(&c.funnel);
        }
        let u = &tree.units[ix];
        Some(ReachNode {
            unit_id: u.id,
            code: u.code.clone(),
            name: u.name.clone(),
            kind: u.kind.as_str().to_string(),
            path: u.path.clone(),
            funnel: f.finish(),
            children,
        })
    }
    Ok(build(root_ix, &tree, &own))
}

/// Opens and acknowledgements of one UTC day.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DayCount {
    /// Start of the UTC day, ms.
    pub day: i64,
    pub opened: i64,
    pub acknowledged: i64,
}

/// Opens and acknowledgements per UTC day of a campaign under the roots.
pub async fn timeline(db: &Db, campaign_id: i64, roots: &[String]) -> SvcResult<Vec<DayCount>> {
    let whole = store::campaign_by_id(db, campaign_id)
        .await?
        .is_some_and(|c| roots.len() == 1 && roots[0] == c.unit_path);
    if whole {
        // The whole campaign: from the per-day rollup.
        return Ok(store::reach_days(db, campaign_id)
            .await?
            .into_iter()
            .map(|(day, opened, acknowledged)| DayCount {
                day,
                opened,
                acknowledged,
            })
            .collect());
    }
    // Part of it (a counselor's classes): counted from the deliveries of that subtree.
    let mut m: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for root in roots {
        for is_ack in [false, true] {
            for (day, n) in store::delivery_days(db, campaign_id, root, is_ack).await? {
                let e = m.entry(day * 86_400_000).or_default();
                if is_ack {
                    e.1 += n;
                } else {
                    e.0 += n;
                }
            }
        }
    }
    Ok(m.into_iter()
        .map(|(day, (opened, acknowledged))| DayCount {
            day,
            opened,
            acknowledged,
        })
        .collect())
}

/// Funnel totals of a campaign under the roots.
pub fn total(trees: &[ReachNode]) -> Funnel {
    let mut f = Funnel::default();
    for t in trees {
        f.add(&t.funnel);
    }
    f.finish()
}

/// Units of the trees whose reach is under `threshold` (0–1), lowest first.
pub fn units_below(trees: &[ReachNode], threshold: f64) -> Vec<ReachNode> {
    fn walk(n: &ReachNode, t: f64, out: &mut Vec<ReachNode>) {
        if n.funnel.reach < t {
            let mut leaf = n.clone();
            leaf.children.clear();
            out.push(leaf);
        }
        for c in &n.children {
            walk(c, t, out);
        }
    }
    let mut out = Vec::new();
    for t in trees {
        walk(t, threshold, &mut out);
    }
    out.sort_by(|a, b| {
        a.funnel
            .reach
            .total_cmp(&b.funnel.reach)
            .then(a.path.cmp(&b.path))
    });
    out
}

/// A person a counselor should reach.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct GapPerson {
    pub student_id: StudentId,
    pub student_no: String,
    pub name: String,
    pub class_name: String,
    /// The fraud type of the recorded case (victim list only).
    pub fraud_type: Option<String>,
}

/// Enrolled students under `path` who acknowledged no campaign in the last `days` days, one
/// page of them (`limit` from `offset`, by class then student number) with the total; `search`
/// keeps those whose name or student number contains it.
pub async fn never_reached(
    db: &Db,
    clock: &Clock,
    path: &str,
    days: i64,
    search: &str,
    limit: i64,
    offset: i64,
) -> SvcResult<(i64, Vec<GapPerson>)> {
    let since = clock.now_ms() - days * 86_400_000;
    let (n, rows) = store::never_reached(db, path, since, search.trim(), limit, offset).await?;
    Ok((n, rows.into_iter().map(|r| gap_person(r, None)).collect()))
}

fn gap_person(r: store::GapRow, fraud_type: Option<String>) -> GapPerson {
    GapPerson {
        student_id: r.student_id,
        student_no: r.student_no,
        name: crate::org::model::mask_name(&r.name),
        class_name: r.class_name,
        fraud_type,
    }
}

/// Victims recorded in cases under `path` who never acknowledged a campaign warning of their
/// case's fraud type, at most `limit` (student, fraud type) pairs by student.
pub async fn unwarned_victims(db: &Db, path: &str, limit: i64) -> SvcResult<Vec<GapPerson>> {
    let victims = crate::cases::reads::student_victims_under(db, path).await?;
    let ids: Vec<StudentId> = {
        let mut v: Vec<StudentId> = victims.iter().map(|(id, _)| *id).collect();
        v.dedup();
        v
    };
    let warned = store::acknowledged_fraud_types(db, &ids).await?;
    let unwarned: Vec<(StudentId, String)> = victims
        .into_iter()
        .filter(|v| !warned.contains(v))
        .take(limit.max(0) as usize)
        .collect();
    let mut ids: Vec<StudentId> = unwarned.iter().map(|(id, _)| *id).collect();
    ids.dedup();
    let students: std::collections::HashMap<StudentId, store::GapRow> =
        store::gap_students(db, &ids)
            .await?
            .into_iter()
            .map(|r| (r.student_id, r))
            .collect();
    Ok(unwarned
        .into_iter()
        .filter_map(|(id, ft)| {
            let r = students.get(&id)?;
            Some(gap_person(r.clone(), Some(ft)))
        })
        .collect())
}

/// The gap finder's query, as the API and the page take it.
#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct GapQuery {
    /// Unit code (inside the caller's scope).
    pub unit: String,
    /// People with no acknowledgement in this many days (default 30).
    #[param(minimum = 1, maximum = 3650)]
    pub days: Option<i64>,
    /// Campaign whose units below `threshold` to list.
    pub campaign: Option<i64>,
    /// Reach threshold 0–1 (default 0.6).
    #[param(minimum = 0, maximum = 1)]
    pub threshold: Option<f64>,
    /// Page of the never-reached list, from 1 (default 1).
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// People per page of the never-reached list (default 500).
    #[param(minimum = 1, maximum = 500)]
    pub per_page: Option<i64>,
    /// Keep only people whose name or student number contains this.
    pub q: Option<String>,
}

/// The gap finder's query, checked.
pub struct GapsIn<'a> {
    pub unit: &'a str,
    pub days: i64,
    pub campaign: Option<i64>,
    pub threshold: f64,
    pub page: i64,
    pub per_page: i64,
    pub q: Option<&'a str>,
}

impl GapQuery {
    /// (page from 1, people per page), checked.
    pub fn paging(&self, default_per_page: i64) -> Result<(i64, i64), BadInput> {
        let page = self.page.unwrap_or(1);
        let per = self.per_page.unwrap_or(default_per_page);
        if !(1..=1_000_000).contains(&page) || !(1..=500).contains(&per) {
            return Err(BadInput("err-bad-paging"));
        }
        Ok((page, per))
    }

    /// The whole query checked, `default_per_page` people per page unless it says otherwise.
    pub fn parse(&self, default_per_page: i64) -> Result<GapsIn<'_>, BadInput> {
        let (page, per_page) = self.paging(default_per_page)?;
        let days = self.days.unwrap_or(30);
        let threshold = self.threshold.unwrap_or(0.6);
        if !(1..=3650).contains(&days) || !(0.0..=1.0).contains(&threshold) {
            return Err(BadInput("camp-err-gap-params"));
        }
        Ok(GapsIn {
            unit: &self.unit,
            days,
            campaign: self.campaign,
            threshold,
            page,
            per_page,
            q: self.q.as_deref(),
        })
    }
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct GapsOut {
    pub never_reached_total: i64,
    /// The page of `never_reached` and the people per page.
    pub page: i64,
    pub per_page: i64,
    pub never_reached: Vec<GapPerson>,
    /// Enrolled students whose account was never activated: the in-app inbox cannot reach them.
    pub never_activated_total: i64,
    pub never_activated: Vec<GapPerson>,
    pub unwarned_victims: Vec<GapPerson>,
    pub units_below: Vec<ReachNode>,
}

/// Gap finder: people never reached in the last N days, victims of recorded cases who never
/// acknowledged a warning of their fraud type, students never activated, and units of a campaign
/// below a reach threshold; the people shown are one audit entry per call.
pub async fn gaps(
    db: &Db,
    trees: &UnitTrees,
    clock: &Clock,
    p: &Principal,
    actor: &crate::audit::Actor,
    q: &GapsIn<'_>,
) -> SvcResult<GapsOut> {
    let unit = unit_in_scope(db, p, Action::ViewReach, q.unit).await?;
    let (total, people) = never_reached(
        db,
        clock,
        &unit.path,
        q.days,
        q.q.unwrap_or(""),
        q.per_page,
        (q.page - 1) * q.per_page,
    )
    .await?;
    let victims = unwarned_victims(db, &unit.path, 500).await?;
    let (inactive_total, inactive) =
        crate::auth::activation::never_activated(db, &unit.path, 500).await?;
    let inactive: Vec<GapPerson> = inactive
        .into_iter()
        .map(|a| GapPerson {
            student_id: a.student_id,
            student_no: a.student_no,
            name: crate::org::model::mask_name(&a.name),
            class_name: a.class_name,
            fraud_type: None,
        })
        .collect();
    let mut below = Vec::new();
    if let Some(cid) = q.campaign {
        let (_, roots) = campaign_visible_to(db, p, cid).await?;
        let mut found = Vec::new();
        for r in roots
            .iter()
            .filter(|r| r.starts_with(&unit.path) || unit.path.starts_with(r.as_str()))
        {
            let root = if r.starts_with(&unit.path) {
                r.clone()
            } else {
                unit.path.clone()
            };
            found.extend(reach_tree(db, trees, cid, &root).await?);
        }
        below = units_below(&found, q.threshold);
    }
    crate::audit::person_list_read(
        db,
        clock,
        p,
        actor,
        crate::audit::ListRead {
            export: false,
            kind: "student",
            unit_path: unit.path.clone(),
            filter: serde_json::json!({
                "gaps": q.unit, "days": q.days, "campaign": q.campaign, "page": q.page, "q": q.q,
                "never_reached_total": total, "unwarned_victims": victims.len(),
                "never_activated_total": inactive_total,
            }),
            ids: people
                .iter()
                .chain(victims.iter())
                .chain(inactive.iter())
                .map(|g| g.student_id.get())
                .collect(),
        },
    )
    .await?;
    Ok(GapsOut {
        never_reached_total: total,
        page: q.page,
        per_page: q.per_page,
        never_reached: people,
        never_activated_total: inactive_total,
        never_activated: inactive,
        unwarned_victims: victims,
        units_below: below,
    })
}
