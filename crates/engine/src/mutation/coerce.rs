//! Coercion of validated GraphQL input values (and Dgraph JSON values) into the scalar
//! values a node stores: ints, floats, strings, booleans, instants, GeoJSON shapes and
//! password hashes.
//!
//! The request validator has already checked the GraphQL shape of every value; what is
//! left here are the checks the validator cannot do (DateTime syntax, Int64 given as a
//! string, password length) and the conversion of the geo input objects (`PointRef`,
//! `PolygonRef`, `MultiPolygonRef`) into GeoJSON geometry.

use serde_json::{Map, Value as Json, json};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::graph::Val;

/// bcrypt work factor for `@secret` fields (the same cost Dgraph uses by default).
pub const PASSWORD_COST: u32 = 10;
/// Minimum length of an `@secret` value.
pub const PASSWORD_MIN_LEN: usize = 6;

/// The kind of value a field or predicate holds, as far as coercion is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarKind {
    /// GraphQL `Int` (32-bit on input, stored as a 64-bit int).
    Int,
    /// GraphQL `Int64`, or a storage `int` predicate.
    Int64,
    Float,
    /// `String`, enums, `ID`-typed xids: stored as strings.
    String,
    Bool,
    DateTime,
    /// GraphQL `Point` (input `PointRef`).
    Point,
    /// GraphQL `Polygon` (input `PolygonRef`).
    Polygon,
    /// GraphQL `MultiPolygon` (input `MultiPolygonRef`).
    MultiPolygon,
    /// A storage `geo` predicate: the value is already GeoJSON.
    GeoJson,
    /// An `@secret` value: clear text in, bcrypt hash out.
    Password,
}

/// Why a value could not be coerced; the text is what the client sees after the
/// mutation's error context.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CoerceError(pub String);

fn kind_name(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "Boolean",
        Json::Number(n) if n.is_i64() || n.is_u64() => "Int",
        Json::Number(_) => "Float",
        Json::String(_) => "String",
        Json::Array(_) => "List",
        Json::Object(_) => "Object",
    }
}

/// Coerces one (non-null, non-list) input value to `kind`.
pub fn coerce(kind: ScalarKind, v: &Json) -> Result<Val, CoerceError> {
    let mismatch = |expected: &str| {
        CoerceError(format!(
            "Type mismatched for Value `{v}`, expected: {expected}, got: '{}'",
            kind_name(v)
        ))
    };
    match kind {
        ScalarKind::Int | ScalarKind::Int64 => match v {
            Json::Number(n) => {
                if let Some(i) = n.as_i64() {
                    if kind == ScalarKind::Int && i32::try_from(i).is_err() {
                        return Err(CoerceError(format!(
                            "Out of range value '{i}', for type `Int`"
                        )));
                    }
                    Ok(Val::Int(i))
                } else if n.is_u64() {
                    let t = if kind == ScalarKind::Int {
                        "Int"
                    } else {
                        "Int64"
                    };
                    Err(CoerceError(format!(
                        "Out of range value '{n}', for type `{t}`"
                    )))
                } else {
                    Err(mismatch(if kind == ScalarKind::Int {
                        "Int"
                    } else {
                        "Int64"
                    }))
                }
            }
            Json::String(s) if kind == ScalarKind::Int64 => match s.parse::<i64>() {
                Ok(i) => Ok(Val::Int(i)),
                Err(_)
                    if !s.is_empty()
                        && s.trim_start_matches('-')
                            .bytes()
                            .all(|b| b.is_ascii_digit()) =>
                {
                    Err(CoerceError(format!(
                        "Out of range value '{s}', for type `Int64`"
                    )))
                }
                Err(_) => Err(mismatch("Int64")),
            },
            _ => Err(mismatch(if kind == ScalarKind::Int {
                "Int"
            } else {
                "Int64"
            })),
        },
        ScalarKind::Float => match v {
            Json::Number(n) => n.as_f64().map(Val::Float).ok_or_else(|| mismatch("Float")),
            _ => Err(mismatch("Float")),
        },
        ScalarKind::String => match v {
            Json::String(s) => Ok(Val::Str(s.clone())),
            _ => Err(mismatch("String")),
        },
        ScalarKind::Bool => match v {
            Json::Bool(b) => Ok(Val::Bool(*b)),
            _ => Err(mismatch("Boolean")),
        },
        ScalarKind::DateTime => match v {
            Json::String(s) => parse_datetime(s)
                .map(Val::DateTime)
                .ok_or_else(|| CoerceError(format!("Unable to parse `{s}` as DateTime"))),
            // Integral numbers are Unix seconds (the storage convention).
            Json::Number(n) if n.is_i64() => {
                OffsetDateTime::from_unix_timestamp(n.as_i64().unwrap_or(0))
                    .map(Val::DateTime)
                    .map_err(|_| mismatch("DateTime"))
            }
            _ => Err(mismatch("DateTime")),
        },
        ScalarKind::Point => {
            point_ref(v).map(|c| Val::Geo(json!({"type": "Point", "coordinates": c})))
        }
        ScalarKind::Polygon => {
            polygon_ref(v).map(|c| Val::Geo(json!({"type": "Polygon", "coordinates": c})))
        }
        ScalarKind::MultiPolygon => {
            let polys = v
                .as_object()
                .and_then(|o| o.get("polygons"))
                .and_then(Json::as_array)
                .ok_or_else(|| mismatch("MultiPolygon"))?;
            let coords = polys
                .iter()
                .map(polygon_ref)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Val::Geo(
                json!({"type": "MultiPolygon", "coordinates": coords}),
            ))
        }
        ScalarKind::GeoJson => geojson(v).map(Val::Geo),
        ScalarKind::Password => match v {
            Json::String(s) => hash_password(s).map(Val::Password),
            _ => Err(mismatch("String")),
        },
    }
}

/// Checks the length rule and hashes a clear-text `@secret` value with bcrypt.
pub fn hash_password(clear: &str) -> Result<String, CoerceError> {
    if clear.chars().count() < PASSWORD_MIN_LEN {
        return Err(CoerceError(
            "Password too short, i.e. should have at least 6 chars".to_string(),
        ));
    }
    bcrypt::hash(clear, PASSWORD_COST)
        .map_err(|e| CoerceError(format!("unable to hash password: {e}")))
}

/// Verifies a clear-text password against a stored bcrypt hash.
pub fn verify_password(clear: &str, hash: &str) -> bool {
    bcrypt::verify(clear, hash).unwrap_or(false)
}

fn number(o: &Map<String, Json>, key: &str) -> Option<f64> {
    o.get(key).and_then(Json::as_f64)
}

fn point_ref(v: &Json) -> Result<Json, CoerceError> {
    let o = v
        .as_object()
        .ok_or_else(|| CoerceError(format!("Type mismatched for Value `{v}`, expected: Point")))?;
    match (number(o, "longitude"), number(o, "latitude")) {
        (Some(lon), Some(lat)) => Ok(json!([lon, lat])),
        _ => Err(CoerceError(format!(
            "Type mismatched for Value `{v}`, expected: Point"
        ))),
    }
}

fn polygon_ref(v: &Json) -> Result<Json, CoerceError> {
    let bad = || {
        CoerceError(format!(
            "Type mismatched for Value `{v}`, expected: Polygon"
        ))
    };
    let rings = v
        .as_object()
        .and_then(|o| o.get("coordinates"))
        .and_then(Json::as_array)
        .ok_or_else(bad)?;
    let mut out = Vec::with_capacity(rings.len());
    for ring in rings {
        let points = ring
            .as_object()
            .and_then(|o| o.get("points"))
            .and_then(Json::as_array)
            .ok_or_else(bad)?;
        out.push(Json::Array(
            points.iter().map(point_ref).collect::<Result<_, _>>()?,
        ));
    }
    Ok(Json::Array(out))
}

/// Validates a GeoJSON geometry (Point, Polygon or MultiPolygon) and returns it with only
/// `type` and `coordinates`.
pub fn geojson(v: &Json) -> Result<Json, CoerceError> {
    let bad = || CoerceError(format!("Type mismatched for Value `{v}`, expected: geo"));
    let o = v.as_object().ok_or_else(bad)?;
    let ty = o.get("type").and_then(Json::as_str).ok_or_else(bad)?;
    let coords = o.get("coordinates").ok_or_else(bad)?;
    let depth = match ty {
        "Point" => 0,
        "Polygon" => 2,
        "MultiPolygon" => 3,
        _ => return Err(bad()),
    };
    fn check(c: &Json, depth: usize) -> bool {
        match c.as_array() {
            Some(a) if depth == 0 => {
                a.len() == 2 && a.iter().all(|x| x.as_f64().is_some_and(f64::is_finite))
            }
            Some(a) => a.iter().all(|x| check(x, depth - 1)),
            None => false,
        }
    }
    if !check(coords, depth) {
        return Err(bad());
    }
    Ok(json!({"type": ty, "coordinates": coords}))
}

/// Parses a node id the way Dgraph does: an unsigned 64-bit integer with an optional
/// base prefix (`0x`/`0X` hex, `0o` octal, `0b` binary, a leading `0` octal), else decimal.
/// The uid 0 is never a node.
pub fn parse_uid(s: &str) -> Option<u64> {
    parse_uid_number(s).filter(|&u| u != 0)
}

/// The number an id spells, 0 included: `0x0` is a well-formed id that names no node.
pub fn parse_uid_number(s: &str) -> Option<u64> {
    let s = s.strip_prefix('+').unwrap_or(s);
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16)
    } else if let Some(o) = s.strip_prefix("0o").or_else(|| s.strip_prefix("0O")) {
        (o, 8)
    } else if let Some(b) = s.strip_prefix("0b").or_else(|| s.strip_prefix("0B")) {
        (b, 2)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    // Go allows `_` between digits when a base prefix is given; plain digits are enough here.
    if digits.is_empty() || digits.starts_with('+') || digits.starts_with('-') {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// Renders a uid the way the API prints ids (`0x…`).
pub fn format_uid(uid: u64) -> String {
    format!("{uid:#x}")
}

/// Parses a GraphQL `DateTime` input: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, RFC 3339 (with
/// `Z` or an offset, optional fraction), `YYYY-MM-DDThh:mm:ss[.f]` (UTC) and Go's
/// `2006-01-02 15:04:05[.f] -0700 MST` layout.
pub fn parse_datetime(s: &str) -> Option<OffsetDateTime> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        if part.is_empty() || !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let year = digits(0..4)? as i32;
    if b.len() == 4 {
        return ymd(year, 1, 1);
    }
    if b.get(4) != Some(&b'-') {
        return None;
    }
    let month = digits(5..7)? as u8;
    if b.len() == 7 {
        return ymd(year, month, 1);
    }
    if b.get(7) != Some(&b'-') {
        return None;
    }
    let day = digits(8..10)? as u8;
    let date = Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
    if b.len() == 10 {
        return Some(PrimitiveDateTime::new(date, Time::MIDNIGHT).assume_utc());
    }
    let sep = *b.get(10)?;
    if sep != b'T' && sep != b't' && sep != b' ' {
        return None;
    }
    // hh:mm:ss
    let hour = digits(11..13)? as u8;
    if b.get(13) != Some(&b':') {
        return None;
    }
    let minute = digits(14..16)? as u8;
    if b.get(16) != Some(&b':') {
        return None;
    }
    let second = digits(17..19)? as u8;
    let mut i = 19;
    let mut nanos: u32 = 0;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        let mut end = start;
        while end < b.len() && b[end].is_ascii_digit() {
            end += 1;
        }
        if end == start || end - start > 9 {
            return None;
        }
        let frac = &s[start..end];
        nanos = frac.parse::<u32>().ok()? * 10u32.pow(9 - (end - start) as u32);
        i = end;
    }
    let time = Time::from_hms_nano(hour, minute, second, nanos).ok()?;
    let local = PrimitiveDateTime::new(date, time);
    let rest = &s[i..];
    if sep == b' ' {
        // Go layout: " -0700 MST" (zone abbreviation letters, ignored in favour of the offset).
        let rest = rest.strip_prefix(' ')?;
        let (off, abbr) = rest.split_once(' ').unwrap_or((rest, ""));
        if !abbr
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'-')
        {
            return None;
        }
        let offset = parse_offset(off, false)?;
        return Some(local.assume_offset(offset));
    }
    if rest.is_empty() {
        return Some(local.assume_utc());
    }
    if rest == "Z" || rest == "z" {
        return Some(local.assume_utc());
    }
    Some(local.assume_offset(parse_offset(rest, true)?))
}

fn ymd(year: i32, month: u8, day: u8) -> Option<OffsetDateTime> {
    let date = Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
    Some(PrimitiveDateTime::new(date, Time::MIDNIGHT).assume_utc())
}

/// `±hh:mm` (RFC 3339, `colon`) or `±hhmm` (Go layout).
fn parse_offset(s: &str, colon: bool) -> Option<UtcOffset> {
    let b = s.as_bytes();
    let sign: i8 = match b.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, m) = if colon {
        if b.len() != 6 || b[3] != b':' {
            return None;
        }
        (&s[1..3], &s[4..6])
    } else {
        if b.len() != 5 {
            return None;
        }
        (&s[1..3], &s[3..5])
    };
    if !h.bytes().chain(m.bytes()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let h: i8 = h.parse().ok()?;
    let m: i8 = m.parse().ok()?;
    UtcOffset::from_hms(sign * h, sign * m, 0).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn datetime_forms() {
        assert_eq!(parse_datetime("2000"), Some(datetime!(2000-01-01 0:00 UTC)));
        assert_eq!(
            parse_datetime("2000-02"),
            Some(datetime!(2000-02-01 0:00 UTC))
        );
        assert_eq!(
            parse_datetime("1988-01-01"),
            Some(datetime!(1988-01-01 0:00 UTC))
        );
        assert_eq!(
            parse_datetime("2019-10-12T07:20:50.52Z"),
            Some(datetime!(2019-10-12 07:20:50.52 UTC))
        );
        assert_eq!(
            parse_datetime("2019-10-12T07:20:50+05:30"),
            Some(datetime!(2019-10-12 07:20:50 +05:30))
        );
        assert_eq!(
            parse_datetime("2019-10-12T07:20:50"),
            Some(datetime!(2019-10-12 07:20:50 UTC))
        );
        assert_eq!(
            parse_datetime("2006-01-02 15:04:05 -0700 MST"),
            Some(datetime!(2006-01-02 15:04:05 -07:00))
        );
        for bad in [
            "",
            "20",
            "2000-13",
            "2000-02-30",
            "2000-01-01T25:00:00Z",
            "hello",
            "2000-01-01T10:00:00+0500",
            "2000/01/01",
        ] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
    }

    #[test]
    fn uids() {
        assert_eq!(parse_uid("0x1f"), Some(31));
        assert_eq!(parse_uid("0X1F"), Some(31));
        assert_eq!(parse_uid("31"), Some(31));
        assert_eq!(parse_uid("017"), Some(15));
        assert_eq!(parse_uid("0b11"), Some(3));
        assert_eq!(parse_uid("0"), None);
        assert_eq!(parse_uid_number("0x0"), Some(0));
        assert_eq!(parse_uid_number("0x"), None);
        assert_eq!(parse_uid("0x"), None);
        assert_eq!(parse_uid("abc"), None);
        assert_eq!(parse_uid("-1"), None);
        assert_eq!(parse_uid("0x-1"), None);
        assert_eq!(format_uid(31), "0x1f");
    }

    #[test]
    fn ints() {
        assert_eq!(coerce(ScalarKind::Int, &json!(5)), Ok(Val::Int(5)));
        assert_eq!(
            coerce(ScalarKind::Int, &json!(2147483648i64))
                .unwrap_err()
                .0,
            "Out of range value '2147483648', for type `Int`"
        );
        assert_eq!(
            coerce(ScalarKind::Int64, &json!("280000000000")),
            Ok(Val::Int(280000000000))
        );
        assert_eq!(
            coerce(ScalarKind::Int64, &json!("9223372036854775808"))
                .unwrap_err()
                .0,
            "Out of range value '9223372036854775808', for type `Int64`"
        );
        assert_eq!(
            coerce(ScalarKind::Int64, &json!(180143985094.0))
                .unwrap_err()
                .0,
            "Type mismatched for Value `180143985094.0`, expected: Int64, got: 'Float'"
        );
        assert_eq!(coerce(ScalarKind::Float, &json!(3)), Ok(Val::Float(3.0)));
    }

    #[test]
    fn geo_inputs() {
        assert_eq!(
            coerce(
                ScalarKind::Point,
                &json!({"longitude": 10.5, "latitude": -2.0})
            ),
            Ok(Val::Geo(
                json!({"type": "Point", "coordinates": [10.5, -2.0]})
            ))
        );
        let ring = json!({"points": [
            {"longitude": 0.0, "latitude": 0.0}, {"longitude": 1.0, "latitude": 0.0},
            {"longitude": 1.0, "latitude": 1.0}, {"longitude": 0.0, "latitude": 0.0}]});
        assert_eq!(
            coerce(ScalarKind::Polygon, &json!({"coordinates": [ring.clone()]})),
            Ok(Val::Geo(
                json!({"type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]})
            ))
        );
        assert_eq!(
            coerce(
                ScalarKind::MultiPolygon,
                &json!({"polygons": [{"coordinates": [ring]}]})
            ),
            Ok(Val::Geo(
                json!({"type": "MultiPolygon", "coordinates": [[[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]]})
            ))
        );
        assert!(geojson(&json!({"type": "Point", "coordinates": [1.0]})).is_err());
        assert!(geojson(&json!({"type": "Circle", "coordinates": [1.0, 2.0]})).is_err());
        assert_eq!(
            geojson(&json!({"type": "Point", "coordinates": [1, 2], "extra": 1})),
            Ok(json!({"type": "Point", "coordinates": [1, 2]}))
        );
    }

    #[test]
    fn passwords() {
        assert_eq!(
            coerce(ScalarKind::Password, &json!("abc")).unwrap_err().0,
            "Password too short, i.e. should have at least 6 chars"
        );
        let Ok(Val::Password(h)) = coerce(ScalarKind::Password, &json!("secret123")) else {
            panic!("expected a hash")
        };
        assert!(h.starts_with("$2"));
        assert!(verify_password("secret123", &h));
        assert!(!verify_password("secret124", &h));
    }
}
