//! The whole org tree in memory, for walks that visit every unit (the campaigns' reach tree):
//! units linked parent → children and found by path, cached per app state and rebuilt only
//! when units were added.

use super::model::Unit;
use crate::db::{Db, DbResult};
use crate::kernel::ids::UnitId;

/// All units, linked parent → children, kept per app state ([`UnitTrees`]). Units are only ever
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

/// A built tree with the version (unit count, highest id) it was built at.
type Cached = ((i64, i64), std::sync::Arc<UnitTree>);

/// The cache of one app state's tree: the version it was built at and the tree. Each
/// [`AppState`](crate::web::AppState) holds its own, so two apps in one process (tests) never see
/// each other's units.
#[derive(Default)]
pub struct UnitTrees {
    cached: std::sync::Mutex<Option<Cached>>,
}

impl UnitTrees {
    /// The current tree of all units (cached while no unit is added).
    pub async fn get(&self, db: &Db) -> DbResult<std::sync::Arc<UnitTree>> {
        let version = super::store::units_version(db).await?;
        if let Some((v, t)) = &*self.cached.lock().unwrap_or_else(|e| e.into_inner()) {
            if *v == version {
                return Ok(t.clone());
            }
        }
        let tree = std::sync::Arc::new(build(db).await?);
        *self.cached.lock().unwrap_or_else(|e| e.into_inner()) = Some((version, tree.clone()));
        Ok(tree)
    }
}

/// Reads every unit and links them.
async fn build(db: &Db) -> DbResult<UnitTree> {
    let units = super::store::subtree(db, "/").await?;
    let by_path: std::collections::HashMap<String, usize> = units
        .iter()
        .enumerate()
        .map(|(i, u)| (u.path.clone(), i))
        .collect();
    let by_id: std::collections::HashMap<UnitId, usize> =
        units.iter().enumerate().map(|(i, u)| (u.id, i)).collect();
    let mut kids = vec![Vec::new(); units.len()];
    for (i, u) in units.iter().enumerate() {
        if let Some(p) = u.parent_id.and_then(|p| by_id.get(&p)) {
            kids[*p].push(i);
        }
    }
    Ok(UnitTree {
        units,
        kids,
        by_path,
    })
}
