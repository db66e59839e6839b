//! Time. Everything that reads the clock takes a [`Clock`] so tests can move time.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

pub fn system_now_ms() -> Millis {
    chrono::Utc::now().timestamp_millis()
}

/// Source of the current time; cheap to clone.
#[derive(Clone, Debug)]
pub struct Clock(Arc<Inner>);

#[derive(Debug)]
enum Inner {
    System,
    /// A manual clock; only moves when told.
    Manual(AtomicI64),
}

impl Clock {
    pub fn system() -> Self {
        Clock(Arc::new(Inner::System))
    }

    pub fn manual(start: Millis) -> Self {
        Clock(Arc::new(Inner::Manual(AtomicI64::new(start))))
    }

    pub fn now_ms(&self) -> Millis {
        match &*self.0 {
            Inner::System => system_now_ms(),
            Inner::Manual(t) => t.load(Ordering::SeqCst),
        }
    }

    /// Moves a manual clock forward; a system clock cannot be moved and ignores this.
    pub fn advance_ms(&self, by: Millis) {
        if let Inner::Manual(t) = &*self.0 {
            t.fetch_add(by, Ordering::SeqCst);
        }
    }

    pub fn is_manual(&self) -> bool {
        matches!(&*self.0, Inner::Manual(_))
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}
