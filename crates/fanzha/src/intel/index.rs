//! The per-process lookup index of indicators: a hash map from a 64-bit fingerprint of the
//! canonical (kind, value) to a compact 8-byte record. Values themselves are not kept in memory
//! (the caller already holds the value it looks up), which keeps 10 million indicators in a few
//! hundred megabytes. The fingerprint is SipHash-2-4 with fixed keys, so every process and every
//! restart computes the same one; a false match of two different values needs a 64-bit collision
//! (about 3 in a million for the whole 10-million set) and would only make a lookup report another
//! indicator's status.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::RwLock;

use super::model::{FraudTypes, Kind, Status, Tlp};

/// What the index knows about one indicator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Compact {
    pub status: u8,
    pub tlp: u8,
    pub fraud_types: u16,
    pub sightings: u32,
}

impl Compact {
    pub fn new(status: Status, tlp: Tlp, types: FraudTypes, sightings: i64) -> Compact {
        Compact {
            status: status.code(),
            tlp: tlp.code(),
            fraud_types: types.bits(),
            sightings: sightings.clamp(0, u32::MAX as i64) as u32,
        }
    }
    pub fn status(self) -> Status {
        Status::from_code(self.status)
    }
    pub fn tlp(self) -> Tlp {
        Tlp::from_code(self.tlp)
    }
    pub fn fraud_types(self) -> FraudTypes {
        FraudTypes::from_bits(self.fraud_types)
    }
}

/// The map's hasher: the keys are already uniformly distributed fingerprints.
#[derive(Default)]
pub struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Map = HashMap<u64, Compact, BuildHasherDefault<Identity>>;

/// The fingerprint of a canonical (kind, value).
pub fn fingerprint(kind: Kind, value: &str) -> u64 {
    #[allow(deprecated)]
    let mut h = std::hash::SipHasher::new_with_keys(0x6661_6e7a_6861_2d69, 0x6e64_6578_2d76_3031);
    h.write_u8(kind.code());
    h.write(value.as_bytes());
    h.finish()
}

/// The index; share one per process.
#[derive(Default)]
pub struct Index {
    map: RwLock<Map>,
}

impl Index {
    pub fn with_capacity(n: usize) -> Index {
        Index {
            map: RwLock::new(Map::with_capacity_and_hasher(n, Default::default())),
        }
    }

    pub fn get(&self, kind: Kind, value: &str) -> Option<Compact> {
        let fp = fingerprint(kind, value);
        self.read().get(&fp).copied()
    }

    pub fn len(&self) -> usize {
        self.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Inserts or replaces; `None` removes.
    pub fn set(&self, kind: Kind, value: &str, c: Option<Compact>) {
        let fp = fingerprint(kind, value);
        let mut m = self.map.write().unwrap_or_else(|e| e.into_inner());
        match c {
            Some(c) => {
                m.insert(fp, c);
            }
            None => {
                m.remove(&fp);
            }
        }
    }

    /// Applies many changes under one write lock.
    pub fn apply(&self, changes: Vec<(u64, Option<Compact>)>) {
        let mut m = self.map.write().unwrap_or_else(|e| e.into_inner());
        for (fp, c) in changes {
            match c {
                Some(c) => {
                    m.insert(fp, c);
                }
                None => {
                    m.remove(&fp);
                }
            }
        }
    }

    /// Replaces the whole content (after a full load).
    pub fn replace(&self, entries: Vec<(u64, Compact)>) {
        let mut fresh = Map::with_capacity_and_hasher(entries.len(), Default::default());
        fresh.extend(entries);
        *self.map.write().unwrap_or_else(|e| e.into_inner()) = fresh;
    }

    /// Inserts fingerprints directly (bulk loading).
    pub fn extend(&self, entries: impl IntoIterator<Item = (u64, Compact)>) {
        self.map
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .extend(entries);
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Map> {
        self.map.read().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_remove() {
        let idx = Index::default();
        let k: Kind = "phone".parse().unwrap();
        let c = Compact::new(Status::Confirmed, Tlp::Amber, FraudTypes::default(), 3);
        idx.set(k, "13800001111", Some(c));
        assert_eq!(idx.get(k, "13800001111"), Some(c));
        let qq: Kind = "qq".parse().unwrap();
        assert_eq!(idx.get(qq, "13800001111"), None, "kind is part of the key");
        idx.set(k, "13800001111", None);
        assert!(idx.is_empty());
        assert_eq!(std::mem::size_of::<Compact>(), 8);
    }

    #[test]
    fn fingerprints_are_stable() {
        let k: Kind = "domain".parse().unwrap();
        assert_eq!(fingerprint(k, "a.cn"), fingerprint(k, "a.cn"));
        assert_ne!(fingerprint(k, "a.cn"), fingerprint(k, "b.cn"));
    }
}
