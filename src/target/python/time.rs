//! DateTime default literals converted to UTC, for `datetime.datetime(…, tzinfo=UTC)`
//! in models and a naive UTC `YYYY-MM-DD HH:MM:SS` server default in migrations.

/// A validated `YYYY-MM-DDTHH:MM:SS[.ffffff][Z|±HH:MM]` instant in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct UtcInstant {
    pub(super) year: i64,
    pub(super) month: i64,
    pub(super) day: i64,
    pub(super) hour: i64,
    pub(super) minute: i64,
    pub(super) second: i64,
    pub(super) microsecond: i64,
}

impl UtcInstant {
    /// The instant as SQL accepts it in a default on every database.
    pub(super) fn sql(self) -> String {
        let fraction = if self.microsecond == 0 { String::new() } else { format!(".{:06}", self.microsecond) };
        format!("{:04}-{:02}-{:02} {:02}:{:02}:{:02}{fraction}", self.year, self.month, self.day, self.hour, self.minute, self.second)
    }
}

fn number(text: &str) -> i64 {
    text.parse().unwrap_or(0)
}

/// The UTC components of a literal that `ir::literal::interpret` accepted as a DateTime;
/// no offset means UTC (FORMAT.md §3.4).
pub(super) fn utc_components(text: &str) -> UtcInstant {
    let (date, rest) = text.split_once('T').unwrap_or((text, "00:00:00"));
    let (clock, offset_minutes) = if let Some(clock) = rest.strip_suffix('Z') {
        (clock, 0)
    } else if rest.len() > 6 && matches!(rest.as_bytes()[rest.len() - 6], b'+' | b'-') {
        let offset = &rest[rest.len() - 6..];
        let sign = if offset.starts_with('-') { -1 } else { 1 };
        (&rest[..rest.len() - 6], sign * (number(&offset[1..3]) * 60 + number(&offset[4..6])))
    } else {
        (rest, 0)
    };
    let (clock, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let microsecond = number(&format!("{fraction:0<6}")[..6]);
    let parts: Vec<i64> = date.split('-').map(number).chain(clock.split(':').map(number)).collect();
    let [year, month, day, hour, minute, second] = parts[..] else {
        return UtcInstant { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0, microsecond: 0 };
    };
    let minutes = days_from_civil(year, month, day) * 1440 + hour * 60 + minute - offset_minutes;
    let (days, minute_of_day) = (minutes.div_euclid(1440), minutes.rem_euclid(1440));
    let (year, month, day) = civil_from_days(days);
    UtcInstant { year, month, day, hour: minute_of_day / 60, minute: minute_of_day % 60, second, microsecond }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_move_the_instant_to_utc() {
        assert_eq!(utc_components("2024-03-01T01:30:00+05:30").sql(), "2024-02-29 20:00:00");
        assert_eq!(utc_components("2023-12-31T23:00:00.5-02:00").sql(), "2024-01-01 01:00:00.500000");
        assert_eq!(utc_components("2024-01-01T00:00:00Z").sql(), "2024-01-01 00:00:00");
    }
}
