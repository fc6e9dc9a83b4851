//! Timestamps: RFC 3339 UTC with fixed millisecond precision, so that their text sorts in
//! time order (the listing indexes sort on it).

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::OffsetDateTime;

const FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// The current time as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn now_rfc3339() -> String {
    format_rfc3339(OffsetDateTime::now_utc())
}

/// Formats `at` (converted to UTC) as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn format_rfc3339(at: OffsetDateTime) -> String {
    let utc = at.to_offset(time::UtcOffset::UTC);
    // The format has no fallible parts for years 0..=9999, which `now` always is.
    utc.format(FORMAT)
        .unwrap_or_else(|_| utc.unix_timestamp().to_string())
}

/// The current time in seconds since the epoch.
pub fn now_epoch_seconds() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// The time `seconds` from now, in the same format.
pub fn in_seconds(seconds: i64) -> String {
    format_rfc3339(OffsetDateTime::now_utc() + time::Duration::seconds(seconds))
}

/// Seconds since the epoch of a timestamp in this format (`None` if it is not one).
pub fn epoch_seconds(text: &str) -> Option<i64> {
    time::PrimitiveDateTime::parse(text, FORMAT)
        .ok()
        .map(|t| t.assume_utc().unix_timestamp())
}

/// Whether `text` is a timestamp in exactly the format this API writes.
pub fn is_canonical(text: &str) -> bool {
    time::PrimitiveDateTime::parse(text, FORMAT).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn timestamps_are_fixed_width_utc_with_milliseconds() {
        let at = datetime!(2026-01-02 03:04:05.006 +02:00);
        assert_eq!(format_rfc3339(at), "2026-01-02T01:04:05.006Z");
        assert!(is_canonical(&now_rfc3339()));
        assert!(!is_canonical("2026-01-02T01:04:05Z"));
    }
}
