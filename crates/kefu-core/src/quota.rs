//! Call counters on the virtual clock: per minute, per day and per month.
//!
//! Days and months turn at midnight Beijing time (UTC+8), as WeChat's do.

use crate::errcode::ErrCode;
use crate::ids::Timestamp;

const BEIJING_OFFSET: i64 = 8 * 3600;

/// The window a counter counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// A calendar minute.
    Minute,
    /// A calendar day, Beijing time.
    Day,
    /// A calendar month, Beijing time.
    Month,
}

impl Window {
    /// The first instant of the window that holds `now`.
    pub fn start(self, now: Timestamp) -> Timestamp {
        let local = now.0 + BEIJING_OFFSET;
        let start_local = match self {
            Window::Minute => local - local.rem_euclid(60),
            Window::Day => local - local.rem_euclid(86_400),
            Window::Month => {
                let days = local.div_euclid(86_400);
                let (y, m, _) = civil_from_days(days);
                days_from_civil(y, m, 1) * 86_400
            }
        };
        Timestamp(start_local - BEIJING_OFFSET)
    }

    /// The error an exhausted counter of this window answers.
    pub fn exhausted(self) -> ErrCode {
        match self {
            Window::Minute => ErrCode::MinuteQuota,
            Window::Day | Window::Month => ErrCode::DailyQuota,
        }
    }
}

/// A configured quota of one endpoint for one app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaRule {
    /// The endpoint's documented path, e.g. `/customservice/kfsession/create`.
    pub path: String,
    /// Calls a day (45009 beyond).
    pub daily: Option<u32>,
    /// Calls a minute (45011 beyond).
    pub per_minute: Option<u32>,
}

/// The limits that apply to one call: the app's rule for the path, over the
/// documented defaults (`cgi-bin/token` a day, `stable_token` a minute).
pub fn limits_for(rules: &[QuotaRule], path: &str, defaults: (Option<u32>, Option<u32>)) -> (Option<u32>, Option<u32>) {
    match rules.iter().find(|r| r.path == path) {
        Some(r) => (r.daily.or(defaults.0), r.per_minute.or(defaults.1)),
        None => defaults,
    }
}

/// The counter key of a path's window.
pub fn counter_key(window: Window, path: &str) -> String {
    let w = match window {
        Window::Minute => "minute",
        Window::Day => "day",
        Window::Month => "month",
    };
    format!("{w}:{path}")
}

/// A counter's state: the window it counts in and the calls counted so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    /// Start of the window the count belongs to.
    pub window_start: Timestamp,
    /// Calls counted in that window.
    pub count: u32,
    /// When the counter last counted a call.
    pub last_at: Timestamp,
}

/// Counts one call at `now`. A counter from an earlier window starts over.
/// `Err(window.exhausted())` when the window already holds `limit` calls.
pub fn hit(counter: Option<Counter>, window: Window, limit: u32, now: Timestamp) -> Result<Counter, ErrCode> {
    let start = window.start(now);
    let count = counter.filter(|c| c.window_start == start).map_or(0, |c| c.count);
    if count >= limit {
        return Err(window.exhausted());
    }
    Ok(Counter {
        window_start: start,
        count: count + 1,
        last_at: now,
    })
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (inverse of [`days_from_civil`]).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-11-21 00:00:00 Beijing time == 2026-11-20 16:00:00 UTC.
    const BEIJING_MIDNIGHT: i64 = 1_795_219_200 - BEIJING_OFFSET;

    #[test]
    fn days_turn_at_beijing_midnight() {
        let m = Timestamp(BEIJING_MIDNIGHT);
        assert_eq!(Window::Day.start(m), m);
        assert_eq!(Window::Day.start(m.plus(86_399)), m);
        assert_eq!(Window::Day.start(m.plus(-1)), m.plus(-86_400));
    }

    #[test]
    fn months_turn_on_the_first() {
        // 2026-11-01 00:00 Beijing.
        let first = Timestamp(days_from_civil(2026, 11, 1) * 86_400 - BEIJING_OFFSET);
        assert_eq!(Window::Month.start(Timestamp(BEIJING_MIDNIGHT)), first);
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
    }

    #[test]
    fn a_counter_refuses_past_its_limit_and_restarts_next_window() {
        let now = Timestamp(BEIJING_MIDNIGHT);
        let c = hit(None, Window::Day, 2, now).unwrap();
        let c = hit(Some(c), Window::Day, 2, now).unwrap();
        assert_eq!(hit(Some(c), Window::Day, 2, now), Err(ErrCode::DailyQuota));
        let next = hit(Some(c), Window::Day, 2, now.plus(86_400)).unwrap();
        assert_eq!(next.count, 1);
    }
}
