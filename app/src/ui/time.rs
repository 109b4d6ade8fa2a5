//! Dates and times as every page shows them, and the one date input Grip reads (a
//! due date, a day of logged time). Calendar arithmetic is the `time` crate's.
//!
//! Times are shown in UTC for now, marked as such; showing them in the viewer's time
//! zone (the browser's, remembered on the account so server-rendered pages match) is
//! still to come, and will change this module only.

use time::{Date, Month, OffsetDateTime, Time};

/// The moment `ms` (epoch milliseconds), clamped to what the calendar can show.
fn moment(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// "2026-11-22": the UTC date of epoch milliseconds.
pub fn date(ms: i64) -> String {
    let m = moment(ms);
    format!("{:04}-{:02}-{:02}", m.year(), u8::from(m.month()), m.day())
}

/// "2026-11-22 14:03 UTC" from epoch milliseconds.
pub fn datetime(ms: i64) -> String {
    let m = moment(ms);
    format!("{} {:02}:{:02} UTC", date(ms), m.hour(), m.minute())
}

/// "5m", "3h", "2d": how long a span of milliseconds is, in its largest whole unit.
pub fn age(ms: i64) -> String {
    let mins = (ms / 60_000).max(0);
    match mins {
        0..=59 => format!("{mins}m"),
        60..=1439 => format!("{}h", mins / 60),
        _ => format!("{}d", mins / 1440),
    }
}

/// A day typed as YYYY-MM-DD (a date input) between 1970 and 9999: the last
/// millisecond of that day in UTC. None when it is not such a day.
pub fn end_of_day(raw: &str) -> Option<i64> {
    let mut parts = raw.trim().split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let year: i32 = y.parse().ok().filter(|y| (1970..=9999).contains(y))?;
    let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
    let day = Date::from_calendar_date(year, month, d.parse().ok()?).ok()?;
    let next_midnight = day.next_day()?.with_time(Time::MIDNIGHT).assume_utc();
    let ms = next_midnight.unix_timestamp_nanos() / 1_000_000 - 1;
    i64::try_from(ms).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil_utc_dates() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_795_000_000_000), "2026-11-18");
        assert_eq!(date(951_782_400_000), "2000-02-29");
        assert_eq!(datetime(86_400_000 + 3_723_000), "1970-01-02 01:02 UTC");
        // Out of the calendar's range: the epoch, not a panic.
        assert_eq!(date(i64::MAX), "1970-01-01");
    }

    #[test]
    fn ages_read_in_the_largest_whole_unit() {
        assert_eq!(age(5 * 60_000), "5m");
        assert_eq!(age(3 * 3_600_000), "3h");
        assert_eq!(age(49 * 3_600_000), "2d");
        assert_eq!(age(-5), "0m");
    }

    #[test]
    fn a_typed_day_ends_at_its_last_millisecond() {
        assert_eq!(end_of_day("1970-01-01"), Some(86_400_000 - 1));
        assert_eq!(end_of_day(" 2000-02-29 "), Some(951_868_800_000 - 1));
        for bad in [
            "2001-02-29",
            "2026-13-01",
            "2026-00-10",
            "1969-12-31",
            "soon",
            "2026-1-1-1",
            "",
        ] {
            assert_eq!(end_of_day(bad), None, "{bad}");
        }
    }
}
