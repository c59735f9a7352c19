//! How a person reads a figure: every number with its unit, scaled to stay short
//! (µs/ms/s, B/KiB/MiB, %), and dates as UTC calendar time.

/// A duration given in microseconds: `850 ns`, `12.3 µs`, `4.56 ms`, `1.20 s`.
pub fn duration_us(us: f64) -> String {
    if !us.is_finite() {
        return "—".into();
    }
    let a = us.abs();
    if a == 0.0 {
        "0 µs".into()
    } else if a < 1.0 {
        format!("{:.0} ns", us * 1000.0)
    } else if a < 1000.0 {
        format!("{} µs", three_digits(us))
    } else if a < 1_000_000.0 {
        format!("{} ms", three_digits(us / 1000.0))
    } else {
        format!("{} s", three_digits(us / 1e6))
    }
}

/// A byte count: `512 B`, `4.00 KiB`, `1.50 MiB`.
pub fn bytes(b: f64) -> String {
    if !b.is_finite() {
        return "—".into();
    }
    let a = b.abs();
    if a < 1024.0 {
        format!("{b:.0} B")
    } else if a < 1024.0 * 1024.0 {
        format!("{} KiB", three_digits(b / 1024.0))
    } else {
        format!("{} MiB", three_digits(b / (1024.0 * 1024.0)))
    }
}

/// A percentage: `12.3 %`.
pub fn percent(p: f64) -> String {
    if p.is_finite() {
        format!("{p:.1} %")
    } else {
        "—".into()
    }
}

/// A value in one of the compared metrics' units (`µs/call`, `B`, `%`), scaled.
pub fn value(unit: &str, v: f64) -> String {
    match unit {
        "µs/call" => format!("{}/call", duration_us(v)),
        "µs" => duration_us(v),
        "B" => bytes(v),
        "%" => percent(v),
        "°C" => format!("{v:.1} °C"),
        "/s" => format!("{v:.1}/s"),
        "tasks" => format!("{v:.0}"),
        "" => format!("{v:.3}"),
        other => format!("{v:.3} {other}"),
    }
}

/// Three significant digits without exponent: `1.23`, `12.3`, `123`.
fn three_digits(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Unix milliseconds as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn unix_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_scale_to_a_short_figure_with_its_unit() {
        assert_eq!(duration_us(0.197), "197 ns");
        assert_eq!(duration_us(1.878), "1.88 µs");
        assert_eq!(duration_us(152.4), "152 µs");
        assert_eq!(duration_us(4_560.0), "4.56 ms");
        assert_eq!(duration_us(1_200_000.0), "1.20 s");
        assert_eq!(value("µs/call", 12.34), "12.3 µs/call");
    }

    #[test]
    fn bytes_and_percent_carry_units() {
        assert_eq!(bytes(512.0), "512 B");
        assert_eq!(bytes(4096.0), "4.00 KiB");
        assert_eq!(bytes(4_176_076.0), "3.98 MiB");
        assert_eq!(value("%", 37.25), "37.2 %");
        assert_eq!(value("B", 2048.0), "2.00 KiB");
    }

    #[test]
    fn dates_are_utc_calendar_time() {
        assert_eq!(unix_ms(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(unix_ms(1_796_139_000_000), "2026-12-01 15:30:00 UTC");
        assert_eq!(unix_ms(951_782_400_000), "2000-02-29 00:00:00 UTC");
    }
}
