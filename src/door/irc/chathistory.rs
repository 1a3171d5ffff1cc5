//! IRCv3 `draft/chathistory` (ircv3.net/specs/extensions/chathistory): the
//! `CHATHISTORY` command parsed into a hub [`HistoryRequest`], the words of
//! its subcommands, and its `msgid=` / `timestamp=` references. Pure: the
//! reader sends what parses to the hub and a `FAIL` line for what does not;
//! the renderer writes the answer as a `chathistory` batch.
//!
//! Only channels are served: chatd keeps no private lines (see README).

use crate::hub::{HistoryPoint, HistoryQuery, HistoryRequest, MessageId};

/// What `CHATHISTORY` answers when it cannot be parsed: the standard-reply
/// code and its context parameters, before the description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub context: Vec<String>,
    pub description: &'static str,
}

impl Refusal {
    fn invalid(params: &[String], description: &'static str) -> Refusal {
        Refusal {
            code: "INVALID_PARAMS",
            context: params.iter().take(1).cloned().collect(),
            description,
        }
    }
}

/// `:server FAIL CHATHISTORY <code> <context…> :<description>` (IRCv3
/// standard replies).
pub fn fail_line(server: &str, code: &str, context: &[String], description: &str) -> String {
    let mut line = format!(":{server} FAIL CHATHISTORY {code}");
    for param in context {
        line.push(' ');
        line.push_str(param);
    }
    line.push_str(" :");
    line.push_str(description);
    line
}

/// The subcommand's word, as the spec spells it, for FAIL replies.
pub fn subcommand(request: &HistoryRequest) -> &'static str {
    match request {
        HistoryRequest::Targets { .. } => "TARGETS",
        HistoryRequest::Lines { query, .. } => match query {
            HistoryQuery::Latest(_) => "LATEST",
            HistoryQuery::Before(_) => "BEFORE",
            HistoryQuery::After(_) => "AFTER",
            HistoryQuery::Around(_) => "AROUND",
            HistoryQuery::Between(..) => "BETWEEN",
        },
    }
}

/// What a request is about, for FAIL replies: the channel as IRC spells
/// it (the hub's name, or the name as typed), or `*` for TARGETS.
pub fn target(request: &HistoryRequest) -> String {
    match request {
        HistoryRequest::Lines { channel, .. } if channel.starts_with('#') => channel.clone(),
        HistoryRequest::Lines { channel, .. } => format!("#{channel}"),
        HistoryRequest::Targets { .. } => "*".to_string(),
    }
}

/// `CHATHISTORY <subcommand> …` parsed, or why not.
pub fn parse(params: &[String]) -> Result<HistoryRequest, Refusal> {
    let word = params.first().map(|p| p.to_ascii_uppercase());
    let Some(word) = word else {
        return Err(Refusal {
            code: "NEED_MORE_PARAMS",
            context: Vec::new(),
            description: "Missing parameters",
        });
    };
    let needed = match word.as_str() {
        "LATEST" | "BEFORE" | "AFTER" | "AROUND" | "TARGETS" => 4,
        "BETWEEN" => 5,
        _ => {
            return Err(Refusal {
                code: "INVALID_PARAMS",
                context: vec![params[0].clone()],
                description: "Unknown subcommand",
            })
        }
    };
    if params.len() < needed {
        return Err(Refusal {
            code: "NEED_MORE_PARAMS",
            context: vec![params[0].clone()],
            description: "Missing parameters",
        });
    }
    let limit: usize = params[needed - 1]
        .parse()
        .map_err(|_| Refusal::invalid(params, "The limit must be a whole number"))?;
    let point = |i: usize| {
        point(&params[i]).ok_or_else(|| {
            Refusal::invalid(params, "References are msgid=<id> or timestamp=<time>")
        })
    };
    if word == "TARGETS" {
        let time = |i: usize| match point(i)? {
            HistoryPoint::Time(millis) => Ok(millis),
            HistoryPoint::Line(_) => Err(Refusal::invalid(params, "TARGETS takes timestamps")),
        };
        let (from, to) = (time(1)?, time(2)?);
        return Ok(HistoryRequest::Targets { from, to, limit });
    }
    let channel = params[1].clone();
    let query = match word.as_str() {
        "LATEST" if params[2] == "*" => HistoryQuery::Latest(None),
        "LATEST" => HistoryQuery::Latest(Some(point(2)?)),
        "BEFORE" => HistoryQuery::Before(point(2)?),
        "AFTER" => HistoryQuery::After(point(2)?),
        "AROUND" => HistoryQuery::Around(point(2)?),
        _ => HistoryQuery::Between(point(2)?, point(3)?),
    };
    Ok(HistoryRequest::Lines {
        channel,
        query,
        limit,
    })
}

/// `msgid=<id>` or `timestamp=YYYY-MM-DDThh:mm:ss.sssZ`.
fn point(param: &str) -> Option<HistoryPoint> {
    let (kind, value) = param.split_once('=')?;
    match kind {
        "msgid" => value
            .parse()
            .ok()
            .map(|id| HistoryPoint::Line(MessageId(id))),
        "timestamp" => unix_millis(value).map(HistoryPoint::Time),
        _ => None,
    }
}

/// `YYYY-MM-DDThh:mm:ss[.sss]Z` (server-time's format) in Unix milliseconds.
fn unix_millis(time: &str) -> Option<i64> {
    let time = time.strip_suffix('Z')?;
    let (date, clock) = time.split_once('T')?;
    let mut date = date.splitn(3, '-').map(|part| part.parse::<i64>().ok());
    let (year, month, day) = (date.next()??, date.next()??, date.next()??);
    let (clock, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut clock = clock.splitn(3, ':').map(|part| part.parse::<i64>().ok());
    let (hour, minute, second) = (clock.next()??, clock.next()??, clock.next()??);
    let valid = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && (0..24).contains(&hour)
        && (0..60).contains(&minute)
        && (0..61).contains(&second)
        && fraction.len() <= 9
        && fraction.bytes().all(|b| b.is_ascii_digit());
    if !valid {
        return None;
    }
    // Milliseconds: the first three digits of the fraction, padded.
    let millis: i64 = format!("{fraction:0<3}")[..3].parse().ok()?;
    let days = days_from_civil(year, month, day);
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis)
}

/// Howard Hinnant's `days_from_civil`: a proleptic Gregorian date to days
/// since 1970-01-01 (the inverse of `clock`'s `civil_from_days`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(line: &str) -> Result<HistoryRequest, Refusal> {
        let params: Vec<String> = line.split(' ').map(str::to_string).collect();
        parse(&params)
    }

    fn lines(channel: &str, query: HistoryQuery, limit: usize) -> HistoryRequest {
        HistoryRequest::Lines {
            channel: channel.into(),
            query,
            limit,
        }
    }

    #[test]
    fn timestamps_are_read_to_the_millisecond() {
        assert_eq!(unix_millis("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(
            unix_millis("2019-01-04T14:33:26.123Z"),
            Some(1_546_612_406_123)
        );
        assert_eq!(unix_millis("2019-01-04T14:33:26Z"), Some(1_546_612_406_000));
        assert_eq!(
            unix_millis("2019-01-04T14:33:26.1Z"),
            Some(1_546_612_406_100)
        );
        for bad in [
            "2019-01-04T14:33:26.123",
            "2019-13-04T14:33:26Z",
            "yesterday",
        ] {
            assert_eq!(unix_millis(bad), None, "{bad}");
        }
    }

    #[test]
    fn each_subcommand_becomes_its_request() {
        let line = |id| HistoryPoint::Line(MessageId(id));
        let time = HistoryPoint::Time(1_546_612_406_123);
        assert_eq!(
            parsed("LATEST #weather * 50"),
            Ok(lines("#weather", HistoryQuery::Latest(None), 50))
        );
        assert_eq!(
            parsed("latest #weather msgid=7 5"),
            Ok(lines("#weather", HistoryQuery::Latest(Some(line(7))), 5))
        );
        assert_eq!(
            parsed("BEFORE #weather timestamp=2019-01-04T14:33:26.123Z 10"),
            Ok(lines("#weather", HistoryQuery::Before(time), 10))
        );
        assert_eq!(
            parsed("AFTER #w msgid=7 1"),
            Ok(lines("#w", HistoryQuery::After(line(7)), 1))
        );
        assert_eq!(
            parsed("AROUND #w msgid=7 4"),
            Ok(lines("#w", HistoryQuery::Around(line(7)), 4))
        );
        assert_eq!(
            parsed("BETWEEN #w msgid=9 timestamp=2019-01-04T14:33:26.123Z 3"),
            Ok(lines("#w", HistoryQuery::Between(line(9), time), 3))
        );
        assert_eq!(
            parsed("TARGETS timestamp=1970-01-01T00:00:00Z timestamp=2019-01-04T14:33:26.123Z 9"),
            Ok(HistoryRequest::Targets {
                from: 0,
                to: 1_546_612_406_123,
                limit: 9
            })
        );
    }

    #[test]
    fn what_does_not_parse_is_refused_with_the_specs_codes() {
        let code = |line: &str| parsed(line).unwrap_err().code;
        assert_eq!(code("LATEST #w *"), "NEED_MORE_PARAMS");
        assert_eq!(code("BETWEEN #w msgid=1 5"), "NEED_MORE_PARAMS");
        assert_eq!(code("SOMETIME #w * 5"), "INVALID_PARAMS");
        assert_eq!(code("LATEST #w * many"), "INVALID_PARAMS");
        assert_eq!(code("BEFORE #w * 5"), "INVALID_PARAMS");
        assert_eq!(code("BEFORE #w id=3 5"), "INVALID_PARAMS");
        assert_eq!(code("TARGETS msgid=1 msgid=2 5"), "INVALID_PARAMS");
        assert_eq!(parse(&[]).unwrap_err().code, "NEED_MORE_PARAMS");
        let refusal = parsed("SOMETIME #w * 5").unwrap_err();
        assert_eq!(refusal.context, ["SOMETIME"]);
    }

    #[test]
    fn fail_replies_name_the_subcommand_and_the_target() {
        let request = lines("Weather", HistoryQuery::Around(HistoryPoint::Time(0)), 4);
        assert_eq!(
            (subcommand(&request), target(&request).as_str()),
            ("AROUND", "#Weather")
        );
        let typed = lines("#weather", HistoryQuery::Latest(None), 4);
        assert_eq!(target(&typed), "#weather");
    }
}
