//! The anomaly report for organisers: bursts of votes from one network, one device or one class
//! in a short window, and votes from accounts activated just before or during voting. Counts only
//! are published with the results.

use super::*;
use crate::contests::anomaly::{self, Burst, Counts, Shared};

/// One burst as organisers read it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ContestBurst)]
pub struct BurstLine {
    /// What the votes share: `network`, `device` or `class`.
    pub shared: String,
    /// The class's name (for a class); empty otherwise.
    pub class_name: String,
    pub ballots: usize,
    /// First and last vote of the burst (UTC milliseconds).
    pub from: i64,
    pub to: i64,
}

/// The organisers' anomaly report.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ContestAnomalies)]
pub struct Report {
    pub counts: Counts,
    pub bursts: Vec<BurstLine>,
}

/// The counts of a contest's standing votes (for publishing).
pub async fn anomaly_counts_in(db: &crate::db::Db, c: &Contest) -> Result<Counts> {
    let mut conn = db.pool.acquire().await?;
    let origins = store::origins(&mut conn, c.id).await?;
    Ok(anomaly::find(&origins, c.rules.phases.voting_open).1)
}

/// The anomaly report (organisers, from the opening of voting).
pub async fn anomalies(db: &Db, p: &Principal, id: i64) -> Result<Report> {
    let (c, s) = open(db, p, id).await?;
    if !s.organiser {
        return Err(ContestError::Refused("contests-err-not-organiser"));
    }
    let mut conn = db.pool.acquire().await?;
    let origins = store::origins(&mut conn, c.id).await?;
    drop(conn);
    let (bursts, counts) = anomaly::find(&origins, c.rules.phases.voting_open);
    let paths: Vec<String> = bursts
        .iter()
        .filter(|b| b.shared == Shared::Class)
        .map(|b| b.unit_path.clone())
        .collect();
    let names: HashMap<String, String> = crate::org::store::units_by_paths(db, &paths)
        .await?
        .into_iter()
        .map(|u| (u.path, u.name))
        .collect();
    Ok(Report {
        counts,
        bursts: bursts
            .into_iter()
            .map(|b: Burst| BurstLine {
                shared: b.shared.as_str().to_string(),
                class_name: names.get(&b.unit_path).cloned().unwrap_or_default(),
                ballots: b.ballots,
                from: b.from,
                to: b.to,
            })
            .collect(),
    })
}
