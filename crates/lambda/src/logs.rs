//! A deployment's lambda log: a bounded in-memory ring of timestamped lines.
//!
//! Lines are kept in memory only (a restart starts with an empty log); the ring holds at
//! most [`crate::Config::log_lines`] lines of at most [`MAX_LINE`] bytes each.

use std::collections::VecDeque;

use parking_lot::Mutex;
use time::OffsetDateTime;

/// Longest line kept; longer ones are cut (on a character boundary) and marked.
pub const MAX_LINE: usize = 4096;

/// Severity of a line (`console.log`/`info` = info).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    pub fn parse(s: &str) -> Level {
        match s {
            "debug" => Level::Debug,
            "warn" => Level::Warn,
            "error" => Level::Error,
            _ => Level::Info,
        }
    }

    fn tag(self) -> &'static str {
        match self {
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }
}

/// One stored line.
#[derive(Clone, Debug)]
pub struct LogLine {
    pub at: OffsetDateTime,
    pub level: Level,
    pub text: String,
}

impl LogLine {
    /// `2021-04-16 19:03:54.009209524 +0000 UTC [INFO] text`, the layout of the Cloud's
    /// lambda log lines plus the level.
    pub fn render(&self) -> String {
        let t = self.at;
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:09} +0000 UTC [{}] {}",
            t.year(),
            t.month() as u8,
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.nanosecond(),
            self.level.tag(),
            self.text
        )
    }
}

/// The ring of one deployment.
pub struct LogRing {
    cap: usize,
    lines: Mutex<VecDeque<LogLine>>,
}

impl LogRing {
    pub fn new(cap: usize) -> LogRing {
        LogRing {
            cap: cap.max(1),
            lines: Mutex::new(VecDeque::new()),
        }
    }

    pub fn push(&self, level: Level, mut text: String) {
        if text.len() > MAX_LINE {
            let mut end = MAX_LINE;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.truncate(end);
            text.push_str(" …(truncated)");
        }
        let line = LogLine {
            at: OffsetDateTime::now_utc(),
            level,
            text,
        };
        let mut l = self.lines.lock();
        if l.len() >= self.cap {
            l.pop_front();
        }
        l.push_back(line);
    }

    /// Lines with `start <= at <= end` (either bound optional), oldest first.
    pub fn between(
        &self,
        start: Option<OffsetDateTime>,
        end: Option<OffsetDateTime>,
    ) -> Vec<LogLine> {
        self.lines
            .lock()
            .iter()
            .filter(|l| start.is_none_or(|s| l.at >= s) && end.is_none_or(|e| l.at <= e))
            .cloned()
            .collect()
    }

    pub fn len(&self) -> usize {
        self.lines.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_keeps_the_newest_lines() {
        let r = LogRing::new(3);
        for i in 0..5 {
            r.push(Level::Info, format!("line {i}"));
        }
        let texts: Vec<String> = r.between(None, None).into_iter().map(|l| l.text).collect();
        assert_eq!(texts, vec!["line 2", "line 3", "line 4"]);
    }

    #[test]
    fn long_lines_are_cut() {
        let r = LogRing::new(2);
        r.push(Level::Warn, "é".repeat(MAX_LINE));
        let l = &r.between(None, None)[0];
        assert!(l.text.len() < MAX_LINE + 20);
        assert!(l.text.ends_with("…(truncated)"));
        assert!(l.render().contains(" +0000 UTC [WARN] é"));
    }

    #[test]
    fn window_filters_by_time() {
        let r = LogRing::new(10);
        r.push(Level::Info, "a".into());
        let after = OffsetDateTime::now_utc() + time::Duration::seconds(1);
        assert_eq!(r.between(None, None).len(), 1);
        assert!(r.between(Some(after), None).is_empty());
        assert_eq!(r.between(None, Some(after)).len(), 1);
    }
}
