//! Dates and times as every page shows them, and the one date input Grip reads (a
//! due date, a day of logged time). Calendar arithmetic is the `time` crate's.
//!
//! Moments (a message, a change, an email) are shown in the viewer's time zone: the
//! browser's, remembered on the account (`users.time_zone`, saved by the signed-in
//! frame, `auth::shell`, once the page is live) so pages rendered on the server show
//! what the browser will; the session provides it to this module as [`ViewerZone`].
//! The server converts with `jiff` and the tz database; the browser with its own
//! `Intl` (no tz database in the WASM); both print the same digits, so hydration
//! matches. Without a known zone (signed out, or not saved yet) times are UTC and
//! say so. A due date is a calendar day, not a moment: [`day`] shows it as stored.

use time::{Date, Month, OffsetDateTime, Time};

/// The moment `ms` (epoch milliseconds), clamped to what the calendar can show.
fn moment(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A moment's calendar date and clock time somewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
}

impl Civil {
    fn utc(ms: i64) -> Civil {
        let m = moment(ms);
        Civil {
            year: m.year(),
            month: u8::from(m.month()),
            day: m.day(),
            hour: m.hour(),
            minute: m.minute(),
        }
    }

    fn date(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    fn clock(self) -> String {
        format!("{:02}:{:02}", self.hour, self.minute)
    }
}

/// Whether `name` is a time zone the server knows (an IANA name such as
/// "Europe/Berlin"); what the browser reports is checked with it before it is kept.
#[cfg(feature = "ssr")]
pub fn known_zone(name: &str) -> bool {
    name.len() <= 64 && jiff::tz::TimeZone::get(name).is_ok()
}

/// `ms` in the zone `name`, by the tz database; None for a zone it does not know.
#[cfg(feature = "ssr")]
pub fn civil_in(ms: i64, name: &str) -> Option<Civil> {
    let zone = jiff::tz::TimeZone::get(name).ok()?;
    let at = jiff::Timestamp::from_millisecond(ms).ok()?.to_zoned(zone);
    Some(Civil {
        year: i32::from(at.year()),
        month: u8::try_from(at.month()).ok()?,
        day: u8::try_from(at.day()).ok()?,
        hour: u8::try_from(at.hour()).ok()?,
        minute: u8::try_from(at.minute()).ok()?,
    })
}

/// `ms` in the zone `name`, by the browser's `Intl` (one formatter per zone, kept);
/// None for a zone the browser does not know.
#[cfg(all(feature = "hydrate", not(feature = "ssr")))]
pub fn civil_in(ms: i64, name: &str) -> Option<Civil> {
    use std::collections::HashMap;
    use wasm_bindgen::{JsCast, JsValue};

    thread_local! {
        static FORMATS: std::cell::RefCell<HashMap<String, Option<js_sys::Function>>> =
            Default::default();
    }
    let format_to_parts = FORMATS.with(|cache| {
        cache
            .borrow_mut()
            .entry(name.to_string())
            .or_insert_with(|| {
                let options = js_sys::Object::new();
                for (key, value) in [
                    ("timeZone", name),
                    ("year", "numeric"),
                    ("month", "2-digit"),
                    ("day", "2-digit"),
                    ("hour", "2-digit"),
                    ("minute", "2-digit"),
                    ("hourCycle", "h23"),
                ] {
                    js_sys::Reflect::set(&options, &key.into(), &value.into()).ok()?;
                }
                let intl = js_sys::Reflect::get(&js_sys::global(), &"Intl".into()).ok()?;
                let class: js_sys::Function = js_sys::Reflect::get(&intl, &"DateTimeFormat".into())
                    .ok()?
                    .dyn_into()
                    .ok()?;
                // An unknown zone throws (a RangeError): caught here, not a panic.
                let args = js_sys::Array::of2(&"en-US".into(), &options);
                let format = js_sys::Reflect::construct(&class, &args).ok()?;
                let method: js_sys::Function =
                    js_sys::Reflect::get(&format, &"formatToParts".into())
                        .ok()?
                        .dyn_into()
                        .ok()?;
                Some(method.bind0(&format))
            })
            .clone()
    })?;
    let parts: js_sys::Array = format_to_parts
        .call1(
            &JsValue::NULL,
            &js_sys::Date::new(&JsValue::from_f64(ms as f64)),
        )
        .ok()?
        .dyn_into()
        .ok()?;
    let mut civil = Civil {
        year: 0,
        month: 0,
        day: 0,
        hour: 0,
        minute: 0,
    };
    for part in parts.iter() {
        let kind = js_sys::Reflect::get(&part, &"type".into())
            .ok()?
            .as_string()?;
        let value = js_sys::Reflect::get(&part, &"value".into())
            .ok()?
            .as_string()?;
        match kind.as_str() {
            "year" => civil.year = value.parse().ok()?,
            "month" => civil.month = value.parse().ok()?,
            "day" => civil.day = value.parse().ok()?,
            "hour" => civil.hour = value.parse().ok()?,
            "minute" => civil.minute = value.parse().ok()?,
            _ => {}
        }
    }
    Some(civil)
}

#[cfg(not(any(feature = "ssr", feature = "hydrate")))]
pub fn civil_in(_ms: i64, _name: &str) -> Option<Civil> {
    None
}

/// The time zone of the person the page is rendered for, provided with the session
/// (`auth::pages::provide_auth`): an IANA name, or none while it is not known.
#[derive(Clone, Copy)]
pub struct ViewerZone(pub leptos::prelude::Signal<Option<String>>);

/// The viewer's time zone, if it is known (none outside a page).
pub fn viewer_zone() -> Option<String> {
    use leptos::prelude::*;
    use_context::<ViewerZone>()?.0.get_untracked()
}

/// The browser's own time zone (`Intl`), e.g. "Europe/Berlin".
#[cfg(feature = "hydrate")]
pub fn browser_zone() -> Option<String> {
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
    js_sys::Reflect::get(&format.resolved_options(), &"timeZone".into())
        .ok()?
        .as_string()
        .filter(|z| !z.is_empty())
}

/// `ms` for the viewer: in their zone, or in UTC (then true).
fn for_viewer(ms: i64) -> (Civil, bool) {
    match viewer_zone().and_then(|zone| civil_in(ms, &zone)) {
        Some(c) => (c, false),
        None => (Civil::utc(ms), true),
    }
}

/// "2026-11-22": the date of a moment (epoch milliseconds) in the viewer's zone.
pub fn date(ms: i64) -> String {
    for_viewer(ms).0.date()
}

/// "2026-11-22 14:03" in the viewer's zone ("2026-11-22 14:03 UTC" when it is not
/// known).
pub fn datetime(ms: i64) -> String {
    let (c, utc) = for_viewer(ms);
    let text = format!("{} {}", c.date(), c.clock());
    if utc {
        text + " UTC"
    } else {
        text
    }
}

/// "2026-11-22T14:03:09Z": a moment for machines (a `<time>` element's `datetime`).
pub fn iso(ms: i64) -> String {
    let m = moment(ms);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        Civil::utc(ms).date(),
        m.hour(),
        m.minute(),
        m.second()
    )
}

/// "2026-11-22": a calendar day as stored (a due date, kept as the last millisecond
/// of its UTC day by [`end_of_day`]), the same for every viewer.
pub fn day(ms: i64) -> String {
    Civil::utc(ms).date()
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
    fn dates_are_civil_utc_dates_without_a_zone() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(day(1_795_000_000_000), "2026-11-18");
        assert_eq!(date(951_782_400_000), "2000-02-29");
        assert_eq!(datetime(86_400_000 + 3_723_000), "1970-01-02 01:02 UTC");
        assert_eq!(iso(86_400_000 + 3_723_000), "1970-01-02T01:02:03Z");
        // Out of the calendar's range: the epoch, not a panic.
        assert_eq!(date(i64::MAX), "1970-01-01");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn moments_are_shown_in_a_zone_with_its_summer_time() {
        // 2026-07-01 12:00 UTC is 14:00 in Berlin (summer), 08:00 in New York.
        let july = 1_782_907_200_000;
        let at = |zone| civil_in(july, zone).map(|c| (c.date(), c.clock()));
        assert_eq!(
            at("Europe/Berlin"),
            Some(("2026-07-01".into(), "14:00".into()))
        );
        assert_eq!(
            at("America/New_York"),
            Some(("2026-07-01".into(), "08:00".into()))
        );
        // 2026-01-01 00:30 UTC is still New Year's Eve in New York (winter: -5).
        let new_year = 1_767_227_400_000;
        let c = civil_in(new_year, "America/New_York").unwrap();
        assert_eq!((c.date(), c.clock()), ("2025-12-31".into(), "19:30".into()));
        assert!(known_zone("Asia/Kolkata"));
        assert!(!known_zone("Mars/Olympus_Mons"));
        assert!(civil_in(july, "Mars/Olympus_Mons").is_none());
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
