//! Scalar values, their kinds, and their byte encodings.
//!
//! Numeric and string encodings are order-preserving: comparing encoded bytes gives the same
//! order as comparing the values, which is what ordered indexes and range scans rely on.

use crate::error::{Result, StoreError};

/// An instant: seconds since the Unix epoch plus nanoseconds, with the UTC offset it was
/// written in (kept for output only: order, equality in indexes and buckets use the instant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    /// Seconds since 1970-01-01T00:00:00Z (negative before).
    pub secs: i64,
    /// Nanoseconds within the second, `0..1_000_000_000`.
    pub nanos: u32,
    /// Offset east of UTC in seconds with which the value was written (0 = `Z`).
    pub offset_secs: i32,
}

impl DateTime {
    /// Builds an instant from seconds and nanoseconds; nanos above a second are carried.
    pub fn new(secs: i64, nanos: u32) -> Self {
        DateTime {
            secs: secs + i64::from(nanos / 1_000_000_000),
            nanos: nanos % 1_000_000_000,
            offset_secs: 0,
        }
    }

    /// The same instant, to be rendered with UTC offset `offset_secs`.
    pub fn with_offset(self, offset_secs: i32) -> Self {
        DateTime {
            offset_secs,
            ..self
        }
    }

    /// The instant without its offset (what indexes compare).
    pub fn instant(self) -> (i64, u32) {
        (self.secs, self.nanos)
    }

    /// Builds an instant from a UTC calendar date and time (month and day are 1-based).
    pub fn from_ymd_hms(year: i64, month: u32, day: u32, hour: u32, min: u32, sec: u32) -> Self {
        let days = days_from_civil(year, month, day);
        DateTime::new(
            days * 86_400 + i64::from(hour) * 3600 + i64::from(min) * 60 + i64::from(sec),
            0,
        )
    }

    /// The UTC calendar fields `(year, month, day, hour, minute, second)`.
    pub fn to_civil(self) -> (i64, u32, u32, u32, u32, u32) {
        let days = self.secs.div_euclid(86_400);
        let rem = self.secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        (
            y,
            m,
            d,
            (rem / 3600) as u32,
            ((rem % 3600) / 60) as u32,
            (rem % 60) as u32,
        )
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Proleptic Gregorian date of a day count since 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A point on the earth, in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    /// Longitude, normally -180..=180 (not enforced).
    pub longitude: f64,
    /// Latitude, normally -90..=90 (not enforced).
    pub latitude: f64,
}

/// A polygon: the first ring is the outer boundary, the others are holes. Rings are closed
/// (first point = last point) when stored; [`Geo::validate`] closes open rings.
pub type GeoPolygon = Vec<Vec<GeoPoint>>;

/// A geometry value (the GeoJSON shapes Dgraph accepts for its geo type).
#[derive(Debug, Clone, PartialEq)]
pub enum Geo {
    /// A single point.
    Point(GeoPoint),
    /// A polygon with optional holes.
    Polygon(GeoPolygon),
    /// Several polygons.
    MultiPolygon(Vec<GeoPolygon>),
}

impl Geo {
    /// Checks that coordinates are finite and rings large enough, and closes rings that are
    /// not closed.
    pub fn validate(self) -> Result<Geo> {
        fn point(p: &GeoPoint) -> Result<()> {
            // Like the reference, coordinates are not range-checked (a latitude of 91 is
            // stored as given); they only have to be numbers.
            if !(p.longitude.is_finite() && p.latitude.is_finite()) {
                return Err(StoreError::InvalidGeometry(format!(
                    "coordinate ({}, {}) is not a finite number",
                    p.longitude, p.latitude
                )));
            }
            Ok(())
        }
        fn polygon(mut rings: GeoPolygon) -> Result<GeoPolygon> {
            if rings.is_empty() {
                return Err(StoreError::InvalidGeometry("polygon without rings".into()));
            }
            for ring in &mut rings {
                for p in ring.iter() {
                    point(p)?;
                }
                if ring.first() != ring.last() {
                    let first = ring[0];
                    ring.push(first);
                }
                if ring.len() < 4 {
                    return Err(StoreError::InvalidGeometry(
                        "a polygon ring needs at least 3 distinct points".into(),
                    ));
                }
            }
            Ok(rings)
        }
        match self {
            Geo::Point(p) => {
                point(&p)?;
                Ok(Geo::Point(p))
            }
            Geo::Polygon(r) => Ok(Geo::Polygon(polygon(r)?)),
            Geo::MultiPolygon(ps) => {
                if ps.is_empty() {
                    return Err(StoreError::InvalidGeometry(
                        "multipolygon without polygons".into(),
                    ));
                }
                Ok(Geo::MultiPolygon(
                    ps.into_iter().map(polygon).collect::<Result<_>>()?,
                ))
            }
        }
    }
}

/// The kind of values a predicate holds (Dgraph's storage kinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueKind {
    /// Signed 64-bit integer.
    Int,
    /// 64-bit float.
    Float,
    /// UTF-8 string.
    String,
    /// Boolean.
    Bool,
    /// Instant.
    DateTime,
    /// Geometry.
    Geo,
    /// Password hash (never indexed).
    Password,
    /// Edge to another node.
    Uid,
}

impl ValueKind {
    /// Dgraph's name for the kind.
    pub fn name(self) -> &'static str {
        match self {
            ValueKind::Int => "int",
            ValueKind::Float => "float",
            ValueKind::String => "string",
            ValueKind::Bool => "bool",
            ValueKind::DateTime => "datetime",
            ValueKind::Geo => "geo",
            ValueKind::Password => "password",
            ValueKind::Uid => "uid",
        }
    }

    fn tag(self) -> u8 {
        match self {
            ValueKind::Int => 1,
            ValueKind::Float => 2,
            ValueKind::String => 3,
            ValueKind::Bool => 4,
            ValueKind::DateTime => 5,
            ValueKind::Geo => 6,
            ValueKind::Password => 7,
            ValueKind::Uid => 8,
        }
    }

    fn from_tag(t: u8) -> Result<Self> {
        Ok(match t {
            1 => ValueKind::Int,
            2 => ValueKind::Float,
            3 => ValueKind::String,
            4 => ValueKind::Bool,
            5 => ValueKind::DateTime,
            6 => ValueKind::Geo,
            7 => ValueKind::Password,
            8 => ValueKind::Uid,
            _ => return Err(StoreError::Corrupt(format!("unknown kind tag {t}"))),
        })
    }
}

/// A scalar value of a predicate (edges are handled separately, as uids).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Integer.
    Int(i64),
    /// Float (never NaN in storage).
    Float(f64),
    /// String.
    String(String),
    /// Boolean.
    Bool(bool),
    /// Instant.
    DateTime(DateTime),
    /// Geometry.
    Geo(Geo),
    /// Password hash.
    Password(String),
}

impl Value {
    /// The kind of this value.
    pub fn kind(&self) -> ValueKind {
        match self {
            Value::Int(_) => ValueKind::Int,
            Value::Float(_) => ValueKind::Float,
            Value::String(_) => ValueKind::String,
            Value::Bool(_) => ValueKind::Bool,
            Value::DateTime(_) => ValueKind::DateTime,
            Value::Geo(_) => ValueKind::Geo,
            Value::Password(_) => ValueKind::Password,
        }
    }
}

// ---- order-preserving primitives ----

/// Order-preserving encoding of an `i64`.
pub fn encode_i64(v: i64) -> [u8; 8] {
    ((v as u64) ^ (1 << 63)).to_be_bytes()
}

/// Inverse of [`encode_i64`].
pub fn decode_i64(b: &[u8]) -> Result<i64> {
    let arr: [u8; 8] = b
        .get(..8)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| StoreError::Corrupt("short integer".into()))?;
    Ok((u64::from_be_bytes(arr) ^ (1 << 63)) as i64)
}

/// Order-preserving encoding of a (non-NaN) `f64`; `-0.0` encodes as `0.0`.
pub fn encode_f64(v: f64) -> [u8; 8] {
    let v = if v == 0.0 { 0.0 } else { v };
    let bits = v.to_bits();
    let enc = if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    };
    enc.to_be_bytes()
}

/// Inverse of [`encode_f64`].
pub fn decode_f64(b: &[u8]) -> Result<f64> {
    let arr: [u8; 8] = b
        .get(..8)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| StoreError::Corrupt("short float".into()))?;
    let enc = u64::from_be_bytes(arr);
    let bits = if enc >> 63 == 1 {
        enc & !(1 << 63)
    } else {
        !enc
    };
    Ok(f64::from_bits(bits))
}

/// Order-preserving encoding of a datetime's instant (12 bytes; the offset is not included).
pub fn encode_datetime(v: DateTime) -> [u8; 12] {
    let mut out = [0u8; 12];
    out[..8].copy_from_slice(&encode_i64(v.secs));
    out[8..].copy_from_slice(&v.nanos.to_be_bytes());
    out
}

/// Stored form: the instant (12 bytes) then the offset (4 bytes).
fn encode_datetime_full(out: &mut Vec<u8>, v: DateTime) {
    out.extend_from_slice(&encode_datetime(v));
    out.extend_from_slice(&v.offset_secs.to_be_bytes());
}

fn decode_datetime(b: &[u8]) -> Result<DateTime> {
    if b.len() < 16 {
        return Err(StoreError::Corrupt("short datetime".into()));
    }
    let secs = decode_i64(&b[..8])?;
    let nanos = u32::from_be_bytes(b[8..12].try_into().expect("4 bytes"));
    let offset_secs = i32::from_be_bytes(b[12..16].try_into().expect("4 bytes"));
    Ok(DateTime {
        secs,
        nanos,
        offset_secs,
    })
}

/// Appends an escaped, terminated byte string: `0x00` becomes `0x00 0xff`, and the string ends
/// with `0x00 0x01`. Byte order of encodings equals byte order of the inputs, and no encoding
/// is a prefix of another.
pub fn encode_bytes_terminated(out: &mut Vec<u8>, s: &[u8]) {
    for &b in s {
        out.push(b);
        if b == 0 {
            out.push(0xff);
        }
    }
    out.extend_from_slice(&[0, 1]);
}

/// Decodes a string written by [`encode_bytes_terminated`]; returns it and the bytes consumed.
pub fn decode_bytes_terminated(b: &[u8]) -> Result<(Vec<u8>, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == 0 {
            match b.get(i + 1) {
                Some(0xff) => {
                    out.push(0);
                    i += 2;
                }
                Some(1) => return Ok((out, i + 2)),
                _ => return Err(StoreError::Corrupt("bad string escape".into())),
            }
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Err(StoreError::Corrupt("unterminated string".into()))
}

// ---- tagged value encoding (used in data keys) ----

/// A stored predicate entry: a scalar value or an edge target.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// A scalar value.
    Value(Value),
    /// An edge to the node with this uid.
    Uid(u64),
}

pub(crate) fn encode_entry(out: &mut Vec<u8>, e: &Entry) {
    match e {
        Entry::Uid(u) => {
            out.push(ValueKind::Uid.tag());
            out.extend_from_slice(&u.to_be_bytes());
        }
        Entry::Value(v) => encode_value(out, v),
    }
}

pub(crate) fn encode_value(out: &mut Vec<u8>, v: &Value) {
    out.push(v.kind().tag());
    match v {
        Value::Int(i) => out.extend_from_slice(&encode_i64(*i)),
        Value::Float(f) => out.extend_from_slice(&encode_f64(*f)),
        Value::String(s) | Value::Password(s) => encode_bytes_terminated(out, s.as_bytes()),
        Value::Bool(b) => out.push(u8::from(*b)),
        Value::DateTime(d) => encode_datetime_full(out, *d),
        Value::Geo(g) => encode_geo(out, g),
    }
}

fn encode_points(out: &mut Vec<u8>, ps: &[GeoPoint]) {
    out.extend_from_slice(&(ps.len() as u32).to_be_bytes());
    for p in ps {
        out.extend_from_slice(&p.longitude.to_be_bytes());
        out.extend_from_slice(&p.latitude.to_be_bytes());
    }
}

fn encode_polygon(out: &mut Vec<u8>, p: &GeoPolygon) {
    out.extend_from_slice(&(p.len() as u32).to_be_bytes());
    for ring in p {
        encode_points(out, ring);
    }
}

fn encode_geo(out: &mut Vec<u8>, g: &Geo) {
    match g {
        Geo::Point(p) => {
            out.push(1);
            encode_points(out, std::slice::from_ref(p));
        }
        Geo::Polygon(p) => {
            out.push(2);
            encode_polygon(out, p);
        }
        Geo::MultiPolygon(ps) => {
            out.push(3);
            out.extend_from_slice(&(ps.len() as u32).to_be_bytes());
            for p in ps {
                encode_polygon(out, p);
            }
        }
    }
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8]> {
        let s = self
            .b
            .get(self.pos..self.pos + n)
            .ok_or_else(|| StoreError::Corrupt("truncated value".into()))?;
        self.pos += n;
        Ok(s)
    }
    fn u32(&mut self) -> Result<usize> {
        Ok(u32::from_be_bytes(self.take(4)?.try_into().expect("4 bytes")) as usize)
    }
    fn f64(&mut self) -> Result<f64> {
        Ok(f64::from_be_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    fn points(&mut self) -> Result<Vec<GeoPoint>> {
        let n = self.u32()?;
        let mut v = Vec::with_capacity(n.min(1 << 16));
        for _ in 0..n {
            let longitude = self.f64()?;
            let latitude = self.f64()?;
            v.push(GeoPoint {
                longitude,
                latitude,
            });
        }
        Ok(v)
    }
    fn polygon(&mut self) -> Result<GeoPolygon> {
        let n = self.u32()?;
        (0..n).map(|_| self.points()).collect()
    }
}

fn decode_geo(r: &mut Reader<'_>) -> Result<Geo> {
    match r.take(1)?[0] {
        1 => {
            let ps = r.points()?;
            ps.first()
                .map(|p| Geo::Point(*p))
                .ok_or_else(|| StoreError::Corrupt("empty point".into()))
        }
        2 => Ok(Geo::Polygon(r.polygon()?)),
        3 => {
            let n = r.u32()?;
            Ok(Geo::MultiPolygon(
                (0..n).map(|_| r.polygon()).collect::<Result<_>>()?,
            ))
        }
        t => Err(StoreError::Corrupt(format!("unknown geo tag {t}"))),
    }
}

/// Decodes one tagged entry; returns it and the number of bytes consumed.
pub(crate) fn decode_entry(b: &[u8]) -> Result<(Entry, usize)> {
    let tag = *b
        .first()
        .ok_or_else(|| StoreError::Corrupt("empty value".into()))?;
    let kind = ValueKind::from_tag(tag)?;
    let rest = &b[1..];
    let (e, n) = match kind {
        ValueKind::Uid => {
            let arr: [u8; 8] = rest
                .get(..8)
                .and_then(|s| s.try_into().ok())
                .ok_or_else(|| StoreError::Corrupt("short uid".into()))?;
            (Entry::Uid(u64::from_be_bytes(arr)), 8)
        }
        ValueKind::Int => (Entry::Value(Value::Int(decode_i64(rest)?)), 8),
        ValueKind::Float => (Entry::Value(Value::Float(decode_f64(rest)?)), 8),
        ValueKind::Bool => {
            let b = *rest
                .first()
                .ok_or_else(|| StoreError::Corrupt("short bool".into()))?;
            (Entry::Value(Value::Bool(b != 0)), 1)
        }
        ValueKind::DateTime => (Entry::Value(Value::DateTime(decode_datetime(rest)?)), 16),
        ValueKind::String | ValueKind::Password => {
            let (s, n) = decode_bytes_terminated(rest)?;
            let s = String::from_utf8(s).map_err(|_| StoreError::Corrupt("bad utf-8".into()))?;
            let v = if kind == ValueKind::String {
                Value::String(s)
            } else {
                Value::Password(s)
            };
            (Entry::Value(v), n)
        }
        ValueKind::Geo => {
            let mut r = Reader { b: rest, pos: 0 };
            let g = decode_geo(&mut r)?;
            (Entry::Value(Value::Geo(g)), r.pos)
        }
    };
    Ok((e, n + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn civil_round_trip_known_dates() {
        // 2000-03-01 is day 11017 after the epoch (hand-computed: 30 years with 7 leap days
        // = 10957 days to 2000-01-01, plus 31 + 29 days).
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(11_017), (2000, 3, 1));
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        let dt = DateTime::from_ymd_hms(2019, 7, 4, 13, 5, 9);
        assert_eq!(dt.to_civil(), (2019, 7, 4, 13, 5, 9));
        assert_eq!(dt.secs, 1_562_245_509);
    }

    #[test]
    fn entries_round_trip() {
        let vals = vec![
            Entry::Value(Value::Int(-5)),
            Entry::Value(Value::Float(2.5)),
            Entry::Value(Value::String("a\0b".into())),
            Entry::Value(Value::Bool(true)),
            Entry::Value(Value::DateTime(
                DateTime::new(-10, 5).with_offset(-5 * 3600),
            )),
            Entry::Value(Value::Password("$2a$10$x".into())),
            Entry::Value(Value::Geo(Geo::Polygon(vec![vec![
                GeoPoint {
                    longitude: 1.0,
                    latitude: 2.0,
                },
                GeoPoint {
                    longitude: 3.0,
                    latitude: 2.0,
                },
                GeoPoint {
                    longitude: 1.0,
                    latitude: 4.0,
                },
                GeoPoint {
                    longitude: 1.0,
                    latitude: 2.0,
                },
            ]]))),
            Entry::Uid(0x1234),
        ];
        for v in vals {
            let mut b = Vec::new();
            encode_entry(&mut b, &v);
            let (d, n) = decode_entry(&b).unwrap();
            assert_eq!(d, v);
            assert_eq!(n, b.len());
        }
    }

    #[test]
    fn negative_zero_equals_zero() {
        assert_eq!(encode_f64(-0.0), encode_f64(0.0));
        assert!(encode_f64(-1e-300) < encode_f64(0.0));
        assert!(encode_f64(f64::NEG_INFINITY) < encode_f64(f64::MIN));
    }

    proptest! {
        #[test]
        fn i64_order(a: i64, b: i64) {
            prop_assert_eq!(a.cmp(&b), encode_i64(a).cmp(&encode_i64(b)));
            prop_assert_eq!(decode_i64(&encode_i64(a)).unwrap(), a);
        }

        #[test]
        fn f64_order(a in proptest::num::f64::NORMAL | proptest::num::f64::SUBNORMAL | proptest::num::f64::ZERO | proptest::num::f64::INFINITE,
                     b in proptest::num::f64::NORMAL | proptest::num::f64::ZERO | proptest::num::f64::NEGATIVE) {
            prop_assert_eq!(a.partial_cmp(&b).unwrap(), encode_f64(a).cmp(&encode_f64(b)));
            let back = decode_f64(&encode_f64(a)).unwrap();
            prop_assert!(back == a);
        }

        #[test]
        fn datetime_order(a in -100_000_000_000i64..100_000_000_000, an in 0u32..1_000_000_000,
                          b in -100_000_000_000i64..100_000_000_000, bn in 0u32..1_000_000_000) {
            let x = DateTime::new(a, an);
            let y = DateTime::new(b, bn);
            prop_assert_eq!(x.cmp(&y), encode_datetime(x).cmp(&encode_datetime(y)));
        }

        #[test]
        fn string_order(a in ".{0,12}", b in "[\\x00-\\x02a-c]{0,6}") {
            let mut ea = Vec::new();
            encode_bytes_terminated(&mut ea, a.as_bytes());
            let mut eb = Vec::new();
            encode_bytes_terminated(&mut eb, b.as_bytes());
            prop_assert_eq!(a.as_bytes().cmp(b.as_bytes()), ea.cmp(&eb));
            let (back, n) = decode_bytes_terminated(&ea).unwrap();
            prop_assert_eq!(back, a.as_bytes().to_vec());
            prop_assert_eq!(n, ea.len());
        }

        #[test]
        fn civil_round_trip(days in -1_000_000i64..1_000_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
