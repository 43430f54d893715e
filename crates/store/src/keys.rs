//! Key layout. Every key starts with the backend id (8 bytes, big-endian), then a one-byte
//! section tag. See `STORAGE.md` for the full table.

use crate::error::{Result, StoreError};
use crate::geo_index;
use crate::schema::IndexKind;
use crate::tokenize;
use crate::value::{Entry, Value, encode_bytes_terminated, encode_entry, encode_f64, encode_i64};

pub(crate) const META: u8 = 0x00;
pub(crate) const DATA: u8 = 0x01;
pub(crate) const REV: u8 = 0x02;
pub(crate) const TYPE: u8 = 0x03;
pub(crate) const HAS: u8 = 0x04;
pub(crate) const INDEX: u8 = 0x05;

pub(crate) const META_NEXT_UID: u8 = 0x01;
pub(crate) const META_SCHEMA: u8 = 0x02;
pub(crate) const META_TYPE_COUNT: u8 = 0x03;

/// Predicate holding a node's types.
pub const TYPE_PREDICATE: &str = "dgraph.type";

/// Rejects empty names and names with NUL bytes (NUL terminates names inside keys).
pub(crate) fn check_name(name: &str, is_type: bool) -> Result<()> {
    if name.is_empty() || name.as_bytes().contains(&0) {
        return Err(if is_type {
            StoreError::InvalidTypeName(name.to_string())
        } else {
            StoreError::InvalidPredicate(name.to_string())
        });
    }
    Ok(())
}

fn with_section(backend: u64, section: u8, extra: usize) -> Vec<u8> {
    let mut k = Vec::with_capacity(9 + extra);
    k.extend_from_slice(&backend.to_be_bytes());
    k.push(section);
    k
}

fn push_name(k: &mut Vec<u8>, name: &str) {
    k.extend_from_slice(name.as_bytes());
    k.push(0);
}

/// All keys of a backend: `[backend]`.
pub(crate) fn backend_prefix(backend: u64) -> Vec<u8> {
    backend.to_be_bytes().to_vec()
}

pub(crate) fn next_uid_key(backend: u64) -> Vec<u8> {
    let mut k = with_section(backend, META, 1);
    k.push(META_NEXT_UID);
    k
}

pub(crate) fn schema_prefix(backend: u64) -> Vec<u8> {
    let mut k = with_section(backend, META, 1);
    k.push(META_SCHEMA);
    k
}

pub(crate) fn type_count_key(backend: u64, t: &str) -> Vec<u8> {
    let mut k = with_section(backend, META, t.len() + 2);
    k.push(META_TYPE_COUNT);
    push_name(&mut k, t);
    k
}

pub(crate) fn schema_key(backend: u64, pred: &str) -> Vec<u8> {
    let mut k = schema_prefix(backend);
    push_name(&mut k, pred);
    k
}

/// Predicate name of a schema key.
pub(crate) fn schema_key_name(backend: u64, key: &[u8]) -> Result<String> {
    let rest = key
        .get(schema_prefix(backend).len()..key.len().saturating_sub(1))
        .ok_or_else(|| StoreError::Corrupt("short schema key".into()))?;
    String::from_utf8(rest.to_vec()).map_err(|_| StoreError::Corrupt("schema key".into()))
}

pub(crate) fn node_prefix(backend: u64, uid: u64) -> Vec<u8> {
    let mut k = with_section(backend, DATA, 8);
    k.extend_from_slice(&uid.to_be_bytes());
    k
}

pub(crate) fn data_pred_prefix(backend: u64, uid: u64, pred: &str) -> Vec<u8> {
    let mut k = node_prefix(backend, uid);
    push_name(&mut k, pred);
    k
}

pub(crate) fn data_key(backend: u64, uid: u64, pred: &str, e: &Entry) -> Vec<u8> {
    let mut k = data_pred_prefix(backend, uid, pred);
    encode_entry(&mut k, e);
    k
}

/// Splits the part of a data key after the node prefix into predicate name and entry.
pub(crate) fn split_data_suffix(suffix: &[u8]) -> Result<(String, Entry)> {
    let nul = suffix
        .iter()
        .position(|b| *b == 0)
        .ok_or_else(|| StoreError::Corrupt("data key without predicate".into()))?;
    let name = String::from_utf8(suffix[..nul].to_vec())
        .map_err(|_| StoreError::Corrupt("predicate name".into()))?;
    let (e, _) = crate::value::decode_entry(&suffix[nul + 1..])?;
    Ok((name, e))
}

/// [`split_data_suffix`] borrowing the predicate name from the key.
pub(crate) fn split_data_suffix_ref(suffix: &[u8]) -> Result<(&str, Entry)> {
    let nul = suffix
        .iter()
        .position(|b| *b == 0)
        .ok_or_else(|| StoreError::Corrupt("data key without predicate".into()))?;
    let name = std::str::from_utf8(&suffix[..nul])
        .map_err(|_| StoreError::Corrupt("predicate name".into()))?;
    let (e, _) = crate::value::decode_entry(&suffix[nul + 1..])?;
    Ok((name, e))
}

pub(crate) fn rev_node_prefix(backend: u64, dst: u64) -> Vec<u8> {
    let mut k = with_section(backend, REV, 8);
    k.extend_from_slice(&dst.to_be_bytes());
    k
}

pub(crate) fn rev_prefix(backend: u64, dst: u64, pred: &str) -> Vec<u8> {
    let mut k = rev_node_prefix(backend, dst);
    push_name(&mut k, pred);
    k
}

pub(crate) fn rev_key(backend: u64, dst: u64, pred: &str, src: u64) -> Vec<u8> {
    let mut k = rev_prefix(backend, dst, pred);
    k.extend_from_slice(&src.to_be_bytes());
    k
}

pub(crate) fn type_prefix(backend: u64, t: &str) -> Vec<u8> {
    let mut k = with_section(backend, TYPE, t.len() + 9);
    push_name(&mut k, t);
    k
}

pub(crate) fn type_key(backend: u64, t: &str, uid: u64) -> Vec<u8> {
    let mut k = type_prefix(backend, t);
    k.extend_from_slice(&uid.to_be_bytes());
    k
}

pub(crate) fn has_prefix(backend: u64, pred: &str) -> Vec<u8> {
    let mut k = with_section(backend, HAS, pred.len() + 9);
    push_name(&mut k, pred);
    k
}

pub(crate) fn has_key(backend: u64, pred: &str, uid: u64) -> Vec<u8> {
    let mut k = has_prefix(backend, pred);
    k.extend_from_slice(&uid.to_be_bytes());
    k
}

pub(crate) fn index_prefix(backend: u64, pred: &str, kind: IndexKind) -> Vec<u8> {
    let mut k = with_section(backend, INDEX, pred.len() + 32);
    push_name(&mut k, pred);
    k.push(kind.byte());
    k
}

pub(crate) fn posting_key(prefix: &[u8], token: &[u8], uid: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(prefix.len() + token.len() + 8);
    k.extend_from_slice(prefix);
    k.extend_from_slice(token);
    k.extend_from_slice(&uid.to_be_bytes());
    k
}

/// The uid at the end of a posting, type, has or reverse key.
pub(crate) fn trailing_uid(key: &[u8]) -> Result<u64> {
    let n = key.len();
    if n < 8 {
        return Err(StoreError::Corrupt("key too short for uid".into()));
    }
    Ok(u64::from_be_bytes(
        key[n - 8..].try_into().expect("8 bytes"),
    ))
}

/// Start of the bucket containing `secs` for a datetime index, in seconds.
pub(crate) fn datetime_bucket(kind: IndexKind, v: crate::value::DateTime) -> i64 {
    let (y, m, d, h, _, _) = v.to_civil();
    let (m, d, h) = match kind {
        IndexKind::Year => (1, 1, 0),
        IndexKind::Month => (m, 1, 0),
        IndexKind::Day => (m, d, 0),
        _ => (m, d, h),
    };
    crate::value::DateTime::from_ymd_hms(y, m, d, h, 0, 0).secs
}

fn terminated(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 2);
    encode_bytes_terminated(&mut out, s.as_bytes());
    out
}

/// Index tokens of a value for one index kind (empty when the kind does not apply).
pub(crate) fn index_tokens(kind: IndexKind, v: &Value) -> Vec<Vec<u8>> {
    match (kind, v) {
        (IndexKind::Hash, Value::String(s)) => vec![tokenize::hash_token(s).to_be_bytes().to_vec()],
        (IndexKind::Exact, Value::String(s)) => vec![terminated(s)],
        (IndexKind::Term, Value::String(s)) => tokenize::term_tokens(s)
            .iter()
            .map(|t| terminated(t))
            .collect(),
        (IndexKind::Fulltext, Value::String(s)) => tokenize::fulltext_tokens(s)
            .iter()
            .map(|t| terminated(t))
            .collect(),
        (IndexKind::Trigram, Value::String(s)) => tokenize::trigram_tokens(s)
            .iter()
            .map(|t| terminated(t))
            .collect(),
        (IndexKind::Ngram, Value::String(s)) => tokenize::ngram_tokens(s)
            .iter()
            .map(|t| terminated(t))
            .collect(),
        (IndexKind::Int, Value::Int(i)) => vec![encode_i64(*i).to_vec()],
        (IndexKind::Float, Value::Float(f)) => vec![encode_f64(*f).to_vec()],
        (IndexKind::Bool, Value::Bool(b)) => vec![vec![u8::from(*b)]],
        (
            IndexKind::Year | IndexKind::Month | IndexKind::Day | IndexKind::Hour,
            Value::DateTime(d),
        ) => vec![encode_i64(datetime_bucket(kind, *d)).to_vec()],
        (IndexKind::Geo, Value::Geo(g)) => geo_index::index_cells(g)
            .into_iter()
            .map(|(cover, cell)| geo_token(cover, cell))
            .collect(),
        _ => Vec::new(),
    }
}

pub(crate) fn geo_token(cover: bool, cell: geo_index::Cell) -> Vec<u8> {
    let mut t = vec![u8::from(cover)];
    t.extend_from_slice(&cell.token());
    t
}

/// The term-style token for a query word (terminated string).
pub(crate) fn text_token(s: &str) -> Vec<u8> {
    terminated(s)
}
