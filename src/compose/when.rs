//! How a time reads in a mail: in the reader's language, with a zone nobody can misread.
//! "CST" is China, Cuba or the US Midwest and means little inside Chinese text, so a zone
//! is named only when it has a well-known Chinese name (北京时间, 台北時間 …); otherwise,
//! and always in English, the offset is written out (`UTC+8`, `UTC+5:30`, `UTC`).

use jiff::civil::Weekday;
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp, Zoned};

use crate::parse::Language;

/// `t` in `zone` as the reader of `language` expects it:
/// zh-Hans `12月7日（周一）15:00（北京时间）`, zh-Hant `12月7日（週一）15:00（台北時間）`,
/// en (and any other language) `Monday 7 December, 15:00 (UTC+8)`.
pub fn local(t: Timestamp, zone: &TimeZone, language: Language) -> String {
    let z = t.to_zoned(zone.clone());
    let zone_label = zone_label(&z, language);
    match language {
        Language::ZhHans | Language::ZhHant => {
            let weekday = chinese_weekday(z.weekday(), language);
            let clock = z.strftime("%H:%M");
            format!("{}月{}日（{weekday}）{clock}（{zone_label}）", z.month(), z.day())
        }
        Language::En | Language::Other => format!("{} ({zone_label})", z.strftime("%A %-d %B, %H:%M")),
    }
}

/// The Chinese name of a zone people know by name, in the script of `language`.
fn chinese_zone_name(iana: &str, language: Language) -> Option<&'static str> {
    let (hans, hant) = match iana {
        "Asia/Shanghai" | "Asia/Chongqing" | "Asia/Chungking" | "Asia/Harbin" | "PRC" => {
            ("北京时间", "北京時間")
        }
        "Asia/Taipei" | "ROC" => ("台北时间", "台北時間"),
        "Asia/Hong_Kong" | "Hongkong" => ("香港时间", "香港時間"),
        "Asia/Macau" | "Asia/Macao" => ("澳门时间", "澳門時間"),
        _ => return None,
    };
    match language {
        Language::ZhHans => Some(hans),
        Language::ZhHant => Some(hant),
        Language::En | Language::Other => None,
    }
}

fn zone_label(z: &Zoned, language: Language) -> String {
    z.time_zone()
        .iana_name()
        .and_then(|name| chinese_zone_name(name, language))
        .map_or_else(|| utc_offset(z.offset()), str::to_string)
}

/// `UTC+8`, `UTC-3`, `UTC+5:30`, and `UTC` for no offset.
pub fn utc_offset(offset: Offset) -> String {
    let seconds = offset.seconds();
    if seconds == 0 {
        return "UTC".into();
    }
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    match (minutes / 60, minutes % 60) {
        (hours, 0) => format!("UTC{sign}{hours}"),
        (hours, rest) => format!("UTC{sign}{hours}:{rest:02}"),
    }
}

fn chinese_weekday(day: Weekday, language: Language) -> &'static str {
    let simplified = language == Language::ZhHans;
    let i = day.to_monday_zero_offset() as usize;
    if simplified {
        ["周一", "周二", "周三", "周四", "周五", "周六", "周日"][i]
    } else {
        ["週一", "週二", "週三", "週四", "週五", "週六", "週日"][i]
    }
}

/// A response time as words: `4 hours`, `1 hour 30 minutes`, `4小时`, `30分鐘`; with
/// `working` (a business-hours clock) `24 working hours`, `24个工作小时`, `24個工作小時`.
pub fn duration(budget: SignedDuration, working: bool, language: Language) -> String {
    let minutes = budget.as_secs().max(0) / 60;
    let (hours, rest) = (minutes / 60, minutes % 60);
    match language {
        Language::ZhHans | Language::ZhHant => {
            let hans = language == Language::ZhHans;
            let (hour, minute, work) =
                if hans { ("小时", "分钟", "个工作") } else { ("小時", "分鐘", "個工作") };
            let work = if working { work } else { "" };
            match (hours, rest) {
                (0, m) => format!("{m}{work}{minute}"),
                (h, 0) => format!("{h}{work}{hour}"),
                (h, m) => format!("{h}{work}{hour}{m}{minute}"),
            }
        }
        Language::En | Language::Other => {
            let unit = |n: i64, one: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {one}s") };
            let words = match (hours, rest) {
                (0, m) => unit(m, "minute"),
                (h, 0) => unit(h, "hour"),
                (h, m) => format!("{} {}", unit(h, "hour"), unit(m, "minute")),
            };
            if !working {
                words
            } else if rest == 0 && hours > 0 {
                unit(hours, "working hour")
            } else {
                format!("{words} of working time")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(instant: &str) -> Timestamp {
        instant.parse().unwrap()
    }

    fn zone(name: &str) -> TimeZone {
        TimeZone::get(name).unwrap()
    }

    use Language::{En, Other, ZhHans, ZhHant};

    #[test]
    fn deadlines_read_in_the_readers_language_with_an_unambiguous_zone() {
        // 2026-12-07 is a Monday; 07:00Z is 15:00 in China, Taiwan and Hong Kong.
        let monday = "2026-12-07T07:00:00Z";
        // 2026-07-05 is a Sunday: Berlin is on summer time (UTC+2).
        let summer = "2026-07-05T07:30:00Z";
        let table = [
            (monday, "Asia/Shanghai", ZhHans, "12月7日（周一）15:00（北京时间）"),
            (monday, "Asia/Shanghai", ZhHant, "12月7日（週一）15:00（北京時間）"),
            (monday, "Asia/Shanghai", En, "Monday 7 December, 15:00 (UTC+8)"),
            (monday, "Asia/Taipei", ZhHant, "12月7日（週一）15:00（台北時間）"),
            (monday, "Asia/Taipei", ZhHans, "12月7日（周一）15:00（台北时间）"),
            (monday, "Asia/Taipei", En, "Monday 7 December, 15:00 (UTC+8)"),
            (monday, "Asia/Hong_Kong", ZhHant, "12月7日（週一）15:00（香港時間）"),
            (monday, "Asia/Hong_Kong", Other, "Monday 7 December, 15:00 (UTC+8)"),
            (monday, "Europe/Berlin", ZhHans, "12月7日（周一）08:00（UTC+1）"),
            (monday, "Europe/Berlin", En, "Monday 7 December, 08:00 (UTC+1)"),
            (summer, "Europe/Berlin", ZhHant, "7月5日（週日）09:30（UTC+2）"),
            (summer, "Europe/Berlin", En, "Sunday 5 July, 09:30 (UTC+2)"),
            // The night Berlin springs forward (01:00Z): the offset changes with the instant.
            ("2026-03-29T00:30:00Z", "Europe/Berlin", En, "Sunday 29 March, 01:30 (UTC+1)"),
            ("2026-03-29T01:30:00Z", "Europe/Berlin", En, "Sunday 29 March, 03:30 (UTC+2)"),
            (monday, "UTC", ZhHans, "12月7日（周一）07:00（UTC）"),
            (monday, "UTC", En, "Monday 7 December, 07:00 (UTC)"),
            // Across midnight the date and weekday are the zone's, not UTC's.
            ("2026-12-07T20:00:00Z", "Asia/Shanghai", ZhHans, "12月8日（周二）04:00（北京时间）"),
            ("2026-12-07T20:00:00Z", "UTC", En, "Monday 7 December, 20:00 (UTC)"),
            ("2026-03-01T02:05:00Z", "Asia/Kolkata", En, "Sunday 1 March, 07:35 (UTC+5:30)"),
            ("2026-03-01T02:05:00Z", "America/New_York", ZhHans, "2月28日（周六）21:05（UTC-5）"),
        ];
        for (instant, name, language, want) in table {
            assert_eq!(local(at(instant), &zone(name), language), want, "{instant} {name} {language:?}");
        }
    }

    #[test]
    fn a_fixed_offset_zone_is_written_as_its_offset() {
        let fixed = TimeZone::fixed(jiff::tz::offset(8));
        assert_eq!(local(at("2026-12-07T07:00:00Z"), &fixed, ZhHans), "12月7日（周一）15:00（UTC+8）");
    }

    #[test]
    fn response_times_read_as_words() {
        let h = SignedDuration::from_hours;
        let table = [
            (h(4), false, En, "4 hours"),
            (h(1), false, En, "1 hour"),
            (SignedDuration::from_mins(90), false, En, "1 hour 30 minutes"),
            (SignedDuration::from_mins(30), false, En, "30 minutes"),
            (h(24), true, En, "24 working hours"),
            (SignedDuration::from_mins(90), true, En, "1 hour 30 minutes of working time"),
            (h(4), false, ZhHans, "4小时"),
            (h(24), true, ZhHans, "24个工作小时"),
            (SignedDuration::from_mins(90), false, ZhHans, "1小时30分钟"),
            (h(4), false, ZhHant, "4小時"),
            (h(24), true, ZhHant, "24個工作小時"),
            (SignedDuration::from_mins(30), false, ZhHant, "30分鐘"),
        ];
        for (budget, working, language, want) in table {
            assert_eq!(duration(budget, working, language), want, "{budget:?} {working} {language:?}");
        }
    }
}
