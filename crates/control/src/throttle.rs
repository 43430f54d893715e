//! Throttling of failed logins per email address and per client address.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Window in which failures are counted.
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failures allowed per email address within the window.
const PER_EMAIL: u32 = 5;
/// Failures allowed per client address within the window.
const PER_CLIENT: u32 = 30;
/// Bound on tracked keys (oldest windows are dropped beyond it).
const MAX_KEYS: usize = 100_000;

#[derive(Default)]
pub(crate) struct Throttle {
    failures: HashMap<String, (u32, Instant)>,
}

impl Throttle {
    fn count(&self, key: &str, now: Instant) -> u32 {
        match self.failures.get(key) {
            Some((n, start)) if now.duration_since(*start) < WINDOW => *n,
            _ => 0,
        }
    }

    /// Whether a login for `email` from `client` may be attempted now.
    pub(crate) fn allowed(&self, email: &str, client: Option<&str>) -> bool {
        let now = Instant::now();
        if self.count(&format!("e:{email}"), now) >= PER_EMAIL {
            return false;
        }
        match client {
            Some(c) => self.count(&format!("c:{c}"), now) < PER_CLIENT,
            None => true,
        }
    }

    /// Records a failed attempt.
    pub(crate) fn failed(&mut self, email: &str, client: Option<&str>) {
        let now = Instant::now();
        if self.failures.len() >= MAX_KEYS {
            self.failures
                .retain(|_, (_, start)| now.duration_since(*start) < WINDOW);
            if self.failures.len() >= MAX_KEYS {
                self.failures.clear();
            }
        }
        let mut keys = vec![format!("e:{email}")];
        if let Some(c) = client {
            keys.push(format!("c:{c}"));
        }
        for k in keys {
            let e = self.failures.entry(k).or_insert((0, now));
            if now.duration_since(e.1) >= WINDOW {
                *e = (0, now);
            }
            e.0 += 1;
        }
    }

    /// Clears the email's counter after a successful login.
    pub(crate) fn succeeded(&mut self, email: &str) {
        self.failures.remove(&format!("e:{email}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_email_after_limit_and_unlocks_on_success() {
        let mut t = Throttle::default();
        for _ in 0..PER_EMAIL {
            assert!(t.allowed("a@b.c", Some("1.2.3.4")));
            t.failed("a@b.c", Some("1.2.3.4"));
        }
        assert!(!t.allowed("a@b.c", Some("5.6.7.8")));
        assert!(t.allowed("other@b.c", Some("1.2.3.4")));
        t.succeeded("a@b.c");
        assert!(t.allowed("a@b.c", Some("1.2.3.4")));
    }

    #[test]
    fn locks_client_after_limit() {
        let mut t = Throttle::default();
        for i in 0..PER_CLIENT {
            t.failed(&format!("u{i}@b.c"), Some("9.9.9.9"));
        }
        assert!(!t.allowed("fresh@b.c", Some("9.9.9.9")));
        assert!(t.allowed("fresh@b.c", Some("8.8.8.8")));
    }
}
