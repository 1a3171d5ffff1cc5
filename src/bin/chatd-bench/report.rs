//! The one JSON line a run ends with (no JSON crate in the project, and this
//! needs only objects, numbers, strings and booleans).

use std::fmt::{self, Write};

use crate::hist::Histogram;

pub enum Json {
    U(u64),
    F(f64),
    S(String),
    B(bool),
    Null,
    Obj(Vec<(String, Json)>),
    Arr(Vec<Json>),
}

impl Json {
    pub fn obj(fields: Vec<(&str, Json)>) -> Json {
        Json::Obj(
            fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    }

    pub fn str(s: impl Into<String>) -> Json {
        Json::S(s.into())
    }

    pub fn opt_str(s: Option<&str>) -> Json {
        s.map_or(Json::Null, Json::str)
    }
}

fn string(s: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if (c as u32) < 0x20 => write!(f, "\\u{:04x}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Json::U(n) => write!(f, "{n}"),
            Json::F(x) if x.is_finite() => {
                // Enough digits for a benchmark, no exponent.
                let rounded = (x * 1000.0).round() / 1000.0;
                write!(f, "{rounded}")
            }
            Json::F(_) | Json::Null => f.write_str("null"),
            Json::S(s) => string(s, f),
            Json::B(b) => write!(f, "{b}"),
            Json::Obj(fields) => {
                f.write_char('{')?;
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    string(k, f)?;
                    f.write_char(':')?;
                    write!(f, "{v}")?;
                }
                f.write_char('}')
            }
            Json::Arr(items) => {
                f.write_char('[')?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_char(']')
            }
        }
    }
}

/// Latency percentiles in microseconds.
pub fn latency_json(h: &Histogram) -> Json {
    let us = |ns: u64| Json::F(ns as f64 / 1000.0);
    Json::obj(vec![
        ("count", Json::U(h.count())),
        ("mean_us", Json::F(h.mean() / 1000.0)),
        ("p50_us", us(h.quantile(0.50))),
        ("p99_us", us(h.quantile(0.99))),
        ("p999_us", us(h.quantile(0.999))),
        ("max_us", us(h.max())),
    ])
}

/// "p50 0.21 ms  p99 1.3 ms  p99.9 2.0 ms  max 4.1 ms"
pub fn latency_line(h: &Histogram) -> String {
    let ms = |ns: u64| ns as f64 / 1e6;
    format!(
        "p50 {:.3} ms  p99 {:.3} ms  p99.9 {:.3} ms  max {:.3} ms  (mean {:.3} ms, {} samples)",
        ms(h.quantile(0.50)),
        ms(h.quantile(0.99)),
        ms(h.quantile(0.999)),
        ms(h.max()),
        h.mean() / 1e6,
        h.count()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_compact_json() {
        let j = Json::obj(vec![
            ("a", Json::U(1)),
            ("b", Json::F(0.12345)),
            ("c", Json::str("x\"y\n")),
            (
                "d",
                Json::obj(vec![("e", Json::B(true)), ("f", Json::Null)]),
            ),
            ("g", Json::F(f64::NAN)),
        ]);
        assert_eq!(
            j.to_string(),
            r#"{"a":1,"b":0.123,"c":"x\"y\n","d":{"e":true,"f":null},"g":null}"#
        );
    }
}
