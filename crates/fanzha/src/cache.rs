//! A small time-limited cache for figures that may be a few seconds old (counts on home pages),
//! so busy pages do not recount thousands of rows per request. Nothing here is a source of truth.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

use crate::clock::{Clock, Millis};

pub struct TtlCache<K, V> {
    ttl_ms: Millis,
    max_entries: usize,
    map: Mutex<HashMap<K, (Millis, V)>>,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    pub fn new(ttl_ms: Millis, max_entries: usize) -> Self {
        TtlCache {
            ttl_ms,
            max_entries,
            map: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, clock: &Clock, k: &K) -> Option<V> {
        let now = clock.now_ms();
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get(k)
            .filter(|(at, _)| now - at < self.ttl_ms)
            .map(|(_, v)| v.clone())
    }

    pub fn remove(&self, k: &K) {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).remove(k);
    }

    /// Drops every entry whose value matches (e.g. all sessions of one account).
    pub fn remove_where(&self, f: impl Fn(&V) -> bool) {
        self.map
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, (_, v)| !f(v));
    }

    /// Replaces the value of a live entry, keeping its age (a cached copy of a database row stays
    /// as old as the read that made it). Does nothing when the entry is gone.
    pub fn replace(&self, k: &K, v: V) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = map.get_mut(k) {
            e.1 = v;
        }
    }

    pub fn put(&self, clock: &Clock, k: K, v: V) {
        let now = clock.now_ms();
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= self.max_entries {
            let ttl = self.ttl_ms;
            map.retain(|_, (at, _)| now - *at < ttl);
            if map.len() >= self.max_entries {
                map.clear();
            }
        }
        map.insert(k, (now, v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire() {
        let clock = Clock::manual(0);
        let c: TtlCache<String, i64> = TtlCache::new(1_000, 10);
        c.put(&clock, "a".into(), 1);
        assert_eq!(c.get(&clock, &"a".into()), Some(1));
        clock.advance_ms(1_000);
        assert_eq!(c.get(&clock, &"a".into()), None);
    }

    #[test]
    fn replacing_keeps_the_age_of_the_entry() {
        let clock = Clock::manual(0);
        let c: TtlCache<String, i64> = TtlCache::new(1_000, 10);
        c.put(&clock, "a".into(), 1);
        clock.advance_ms(900);
        c.replace(&"a".into(), 2);
        assert_eq!(c.get(&clock, &"a".into()), Some(2));
        clock.advance_ms(100);
        assert_eq!(c.get(&clock, &"a".into()), None, "not renewed by use");
        c.replace(&"b".into(), 3);
        assert_eq!(c.get(&clock, &"b".into()), None);
    }
}
