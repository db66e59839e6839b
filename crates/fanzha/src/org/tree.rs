//! The whole org tree in memory, for walks that visit every unit (the campaigns' reach tree):
//! units linked parent → children and found by path, cached per process and database and
//! rebuilt only when units were added.

use super::model::Unit;
use crate::db::{Db, DbResult};

/// All units, linked parent → children, kept per process and per database. Units are only ever
/// added (`org::store::create_unit`; the org module has no rename, move or delete), so the number
/// of units and the highest id identify a version of the tree: one cheap query per use tells
/// whether the cached tree is current, also when another process added units.
pub struct UnitTree {
    /// Every unit, in path order.
    pub units: Vec<Unit>,
    /// Indices of each unit's children, in path order.
    pub kids: Vec<Vec<usize>>,
    /// The index of each unit by its path.
    pub by_path: std::collections::HashMap<String, usize>,
}

impl UnitTree {
    pub fn len(&self) -> usize {
        self.units.len()
    }
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }
    pub fn has(&self, path: &str) -> bool {
        self.by_path.contains_key(path)
    }
}

type TreeCacheEntry = (
    std::sync::Arc<sqlx::any::AnyConnectOptions>,
    (i64, i64),
    std::sync::Arc<UnitTree>,
);

/// One entry per database (pool) of this process; holding the pool's options keeps their
/// address, the key, from being reused by another pool.
static UNIT_TREES: std::sync::Mutex<Vec<TreeCacheEntry>> = std::sync::Mutex::new(Vec::new());
const UNIT_TREES_KEPT: usize = 4;

/// The current tree of all units (cached while no unit is added).
pub async fn unit_tree(db: &Db) -> DbResult<std::sync::Arc<UnitTree>> {
    let version: (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM units")
            .fetch_one(&db.pool)
            .await?;
    let opts = db.pool.connect_options();
    {
        let cache = UNIT_TREES.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, _, t)) = cache
            .iter()
            .find(|(o, v, _)| std::sync::Arc::ptr_eq(o, &opts) && *v == version)
        {
            return Ok(t.clone());
        }
    }
    let units = super::store::subtree(db, "/").await?;
    let by_path: std::collections::HashMap<String, usize> = units
        .iter()
        .enumerate()
        .map(|(i, u)| (u.path.clone(), i))
        .collect();
    let by_id: std::collections::HashMap<i64, usize> =
        units.iter().enumerate().map(|(i, u)| (u.id, i)).collect();
    let mut kids = vec![Vec::new(); units.len()];
    for (i, u) in units.iter().enumerate() {
        if let Some(p) = u.parent_id.and_then(|p| by_id.get(&p)) {
            kids[*p].push(i);
        }
    }
    let tree = std::sync::Arc::new(UnitTree {
        units,
        kids,
        by_path,
    });
    let mut cache = UNIT_TREES.lock().unwrap_or_else(|e| e.into_inner());
    cache.retain(|(o, _, _)| !std::sync::Arc::ptr_eq(o, &opts));
    if cache.len() >= UNIT_TREES_KEPT {
        cache.remove(0);
    }
    cache.push((opts, version, tree.clone()));
    Ok(tree)
}
