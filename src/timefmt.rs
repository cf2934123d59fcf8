//! How times leave deskmail: RFC 3339 with its offset in JSON, and in the configured zone
//! with the offset written out (`2026-12-08 15:00 +08:00`) for people. Times are kept as
//! Unix seconds everywhere else.

use serde::Serializer;

/// A Unix time as RFC 3339 in UTC (`2026-12-08T07:00:00Z`); the number itself when it is
/// out of range.
pub fn rfc3339_string(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds).map(|t| t.to_string()).unwrap_or_else(|_| seconds.to_string())
}

/// A Unix time for people: `2026-12-08 15:00 +08:00` in `zone`.
pub fn local(zone: &jiff::tz::TimeZone, seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .map(|t| t.to_zoned(zone.clone()).strftime("%Y-%m-%d %H:%M %:z").to_string())
        .unwrap_or_else(|_| seconds.to_string())
}

/// `serialize_with` for a Unix time field: RFC 3339.
pub fn rfc3339<S: Serializer>(seconds: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339_string(*seconds))
}

/// `serialize_with` for an optional Unix time field: RFC 3339 or null.
pub fn rfc3339_opt<S: Serializer>(seconds: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match seconds {
        Some(seconds) => rfc3339(seconds, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_carry_their_zone() {
        assert_eq!(rfc3339_string(1_796_716_800), "2026-12-08T08:00:00Z");
        let shanghai = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
        assert_eq!(local(&shanghai, 1_796_716_800), "2026-12-08 16:00 +08:00");
    }
}
