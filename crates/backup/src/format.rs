//! The bytes of a backup: the record stream of `data.gz` and the manifest (see `FORMAT.md`).

use std::io::{BufReader, Read, Write};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::BackupError;

/// First bytes of the decompressed record stream.
pub const MAGIC: &[u8; 8] = b"GCBKUP\x00\x01";
/// `format` field of every manifest.
pub const FORMAT_NAME: &str = "graphcloud-backup";
/// Version of the format written (and the only one read).
pub const FORMAT_VERSION: u32 = 1;
/// Name of the data object inside a backup's directory.
pub const DATA_FILE: &str = "data.gz";
/// Name of the manifest object inside a backup's directory.
pub const MANIFEST_FILE: &str = "manifest.json";

const OP_DELETE: u8 = 0;
const OP_PUT: u8 = 1;

/// One record: a key (relative to the backend prefix) and its value, or `None` for a key an
/// incremental backup deletes.
pub type Record = (Vec<u8>, Option<Vec<u8>>);

/// A key and its value.
pub type Pair = (Vec<u8>, Vec<u8>);

/// Writes records (keys strictly ascending) into a gzip stream while hashing the output.
pub struct RecordWriter {
    gz: GzEncoder<HashingVec>,
    records: u64,
    last: Option<Vec<u8>>,
}

/// A `Vec<u8>` that hashes everything written into it.
pub struct HashingVec {
    buf: Vec<u8>,
    hash: Sha256,
}

impl Write for HashingVec {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.hash.update(data);
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A finished data object.
pub struct Encoded {
    pub bytes: Vec<u8>,
    pub sha256: String,
    pub records: u64,
}

fn io(e: std::io::Error) -> BackupError {
    BackupError::Internal(format!("encoding the backup failed: {e}"))
}

impl Default for RecordWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl RecordWriter {
    pub fn new() -> Self {
        let sink = HashingVec {
            buf: Vec::new(),
            hash: Sha256::new(),
        };
        let mut gz = GzEncoder::new(sink, Compression::fast());
        gz.write_all(MAGIC).expect("writing to memory");
        RecordWriter {
            gz,
            records: 0,
            last: None,
        }
    }

    /// Appends one record; keys must come in strictly ascending order.
    pub fn push(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<(), BackupError> {
        if let Some(last) = &self.last
            && last.as_slice() >= key
        {
            return Err(BackupError::Internal(
                "backup records out of key order".into(),
            ));
        }
        let len = |n: usize| -> Result<[u8; 4], BackupError> {
            u32::try_from(n)
                .map(u32::to_le_bytes)
                .map_err(|_| BackupError::Internal("key or value longer than 4 GiB".into()))
        };
        match value {
            Some(v) => {
                self.gz.write_all(&[OP_PUT]).map_err(io)?;
                self.gz.write_all(&len(key.len())?).map_err(io)?;
                self.gz.write_all(key).map_err(io)?;
                self.gz.write_all(&len(v.len())?).map_err(io)?;
                self.gz.write_all(v).map_err(io)?;
            }
            None => {
                self.gz.write_all(&[OP_DELETE]).map_err(io)?;
                self.gz.write_all(&len(key.len())?).map_err(io)?;
                self.gz.write_all(key).map_err(io)?;
            }
        }
        self.records += 1;
        match &mut self.last {
            Some(l) => {
                l.clear();
                l.extend_from_slice(key);
            }
            None => self.last = Some(key.to_vec()),
        }
        Ok(())
    }

    /// Closes the gzip stream.
    pub fn finish(self) -> Result<Encoded, BackupError> {
        let sink = self.gz.finish().map_err(io)?;
        Ok(Encoded {
            bytes: sink.buf,
            sha256: hex::encode(sink.hash.finalize()),
            records: self.records,
        })
    }
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Reads the records of one (already checksum-verified) data object, checking their order.
pub struct RecordReader<R: Read> {
    r: BufReader<GzDecoder<R>>,
    last: Option<Vec<u8>>,
    done: bool,
    name: String,
}

fn corrupt(name: &str, what: impl std::fmt::Display) -> BackupError {
    BackupError::Corrupt(format!("{name}: {what}"))
}

impl<R: Read> RecordReader<R> {
    /// Starts reading `data` (named `name` in error messages).
    pub fn new(data: R, name: &str) -> Result<Self, BackupError> {
        let mut r = BufReader::with_capacity(1 << 16, GzDecoder::new(data));
        let mut magic = [0u8; 8];
        r.read_exact(&mut magic)
            .map_err(|e| corrupt(name, format!("cannot read the header: {e}")))?;
        if &magic != MAGIC {
            return Err(corrupt(name, "not a graphcloud backup data stream"));
        }
        Ok(RecordReader {
            r,
            last: None,
            done: false,
            name: name.to_string(),
        })
    }

    fn read_len(&mut self) -> Result<usize, BackupError> {
        let mut b = [0u8; 4];
        self.r
            .read_exact(&mut b)
            .map_err(|e| corrupt(&self.name, e))?;
        Ok(u32::from_le_bytes(b) as usize)
    }

    fn read_bytes(&mut self, n: usize) -> Result<Vec<u8>, BackupError> {
        let mut v = Vec::new();
        (&mut self.r)
            .take(n as u64)
            .read_to_end(&mut v)
            .map_err(|e| corrupt(&self.name, e))?;
        if v.len() != n {
            return Err(corrupt(&self.name, "truncated record"));
        }
        Ok(v)
    }

    fn next_record(&mut self) -> Result<Option<Record>, BackupError> {
        let mut op = [0u8; 1];
        match self.r.read(&mut op) {
            Ok(0) => return Ok(None),
            Ok(_) => {}
            Err(e) => return Err(corrupt(&self.name, e)),
        }
        let klen = self.read_len()?;
        let key = self.read_bytes(klen)?;
        let value = match op[0] {
            OP_PUT => {
                let vlen = self.read_len()?;
                Some(self.read_bytes(vlen)?)
            }
            OP_DELETE => None,
            other => return Err(corrupt(&self.name, format!("unknown record op {other}"))),
        };
        if key.len() < 2 {
            return Err(corrupt(&self.name, "record key too short"));
        }
        if let Some(last) = &self.last
            && *last >= key
        {
            return Err(corrupt(&self.name, "records out of key order"));
        }
        self.last = Some(key.clone());
        Ok(Some((key, value)))
    }
}

impl<R: Read> Iterator for RecordReader<R> {
    type Item = Result<Record, BackupError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_record() {
            Ok(Some(r)) => Some(Ok(r)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// A record source in ascending key order.
pub type RecordIter<'a> = Box<dyn Iterator<Item = Result<Record, BackupError>> + 'a>;

/// Merges layers (oldest first; every layer ascending): for each key the newest layer's
/// record wins, and keys whose winning record is a deletion are left out. The result is the
/// state after applying every layer in order, as puts in ascending key order.
pub struct Merge<'a> {
    heads: Vec<Option<Record>>,
    layers: Vec<RecordIter<'a>>,
    failed: bool,
}

impl<'a> Merge<'a> {
    pub fn new(mut layers: Vec<RecordIter<'a>>) -> Result<Self, BackupError> {
        let mut heads = Vec::with_capacity(layers.len());
        for l in &mut layers {
            heads.push(l.next().transpose()?);
        }
        Ok(Merge {
            heads,
            layers,
            failed: false,
        })
    }

    fn step(&mut self) -> Result<Option<Pair>, BackupError> {
        loop {
            let Some(min) = self.heads.iter().flatten().map(|(k, _)| k).min().cloned() else {
                return Ok(None);
            };
            let mut winner: Option<Option<Vec<u8>>> = None;
            for i in 0..self.layers.len() {
                if self.heads[i].as_ref().is_some_and(|(k, _)| *k == min) {
                    let (_, v) = self.heads[i].take().expect("checked");
                    winner = Some(v);
                    self.heads[i] = self.layers[i].next().transpose()?;
                }
            }
            if let Some(Some(v)) = winner {
                return Ok(Some((min, v)));
            }
        }
    }
}

impl Iterator for Merge<'_> {
    type Item = Result<Pair, BackupError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let r = self.step().transpose();
        if matches!(r, Some(Err(_))) {
            self.failed = true;
        }
        r
    }
}

/// The data object named in a manifest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileEntry {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

/// `manifest.json` of one backup.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// [`FORMAT_VERSION`] when written.
    pub version: u32,
    /// The deployment uid the backup was taken of.
    pub deployment: String,
    /// `<ISO year>-<ISO week>` of the series' full backup.
    pub folder: String,
    /// 1, 2, … within the folder.
    pub backup_num: u32,
    /// `full` or `incremental`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `YYYY-MM-DDTHH:MM:SS+0000`, UTC.
    pub timestamp: String,
    /// For an incremental backup: the backupNum it applies on top of.
    pub base: Option<u32>,
    /// Number of records in the data object.
    pub records: u64,
    /// The data object.
    pub data: FileEntry,
    /// SHA-256 (hex) of this manifest serialized with `checksum` set to `""`.
    pub checksum: String,
}

impl Manifest {
    fn digest(&self) -> String {
        let mut m = self.clone();
        m.checksum = String::new();
        sha256_hex(&serde_json::to_vec(&m).expect("manifest serializes"))
    }

    /// Serializes the manifest with its checksum filled in.
    pub fn to_bytes(&mut self) -> Vec<u8> {
        self.checksum = self.digest();
        serde_json::to_vec_pretty(self).expect("manifest serializes")
    }

    /// Parses and verifies a manifest (`name` is used in error messages).
    pub fn parse(bytes: &[u8], name: &str) -> Result<Manifest, BackupError> {
        let m: Manifest = serde_json::from_slice(bytes)
            .map_err(|e| corrupt(name, format!("unreadable manifest: {e}")))?;
        if m.format != FORMAT_NAME {
            return Err(corrupt(name, "not a graphcloud backup manifest"));
        }
        if m.version != FORMAT_VERSION {
            return Err(BackupError::Invalid(format!(
                "{name}: backup format version {} is not supported (this server reads version {FORMAT_VERSION})",
                m.version
            )));
        }
        if m.digest() != m.checksum {
            return Err(corrupt(name, "manifest checksum mismatch"));
        }
        if m.kind != "full" && m.kind != "incremental" {
            return Err(corrupt(name, format!("unknown backup type {:?}", m.kind)));
        }
        Ok(m)
    }

    /// Checks `data` against the manifest's size and checksum.
    pub fn verify_data(&self, data: &[u8], name: &str) -> Result<(), BackupError> {
        if data.len() as u64 != self.data.bytes {
            return Err(corrupt(
                name,
                format!(
                    "size mismatch: the manifest says {} bytes, found {}",
                    self.data.bytes,
                    data.len()
                ),
            ));
        }
        if sha256_hex(data) != self.data.sha256 {
            return Err(corrupt(name, "checksum mismatch"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(records: &[Record]) -> Encoded {
        let mut w = RecordWriter::new();
        for (k, v) in records {
            w.push(k, v.as_deref()).unwrap();
        }
        w.finish().unwrap()
    }

    fn rec(k: &[u8], v: Option<&[u8]>) -> Record {
        (k.to_vec(), v.map(<[u8]>::to_vec))
    }

    #[test]
    fn records_round_trip_and_order_is_enforced() {
        let recs = vec![
            rec(b"\x00\x01", Some(&7u64.to_be_bytes())),
            rec(b"\x01abc", Some(b"")),
            rec(b"\x01abd", None),
        ];
        let enc = encode(&recs);
        assert_eq!(enc.records, 3);
        assert_eq!(enc.sha256, sha256_hex(&enc.bytes));
        let back: Vec<Record> = RecordReader::new(&enc.bytes[..], "t")
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(back, recs);

        let mut w = RecordWriter::new();
        w.push(b"\x01b", Some(b"")).unwrap();
        assert!(w.push(b"\x01a", Some(b"")).is_err());
    }

    #[test]
    fn a_truncated_stream_is_an_error() {
        let enc = encode(&[rec(b"\x01abc", Some(b"value"))]);
        let cut = &enc.bytes[..enc.bytes.len() - 9];
        let r: Result<Vec<Record>, _> = RecordReader::new(cut, "t").unwrap().collect();
        assert!(matches!(r, Err(BackupError::Corrupt(_))), "{r:?}");
    }

    #[test]
    fn merge_applies_layers_newest_wins_and_drops_deletes() {
        let full = vec![
            rec(b"\x01a", Some(b"1")),
            rec(b"\x01b", Some(b"1")),
            rec(b"\x01c", Some(b"1")),
        ];
        let inc1 = vec![rec(b"\x01b", None), rec(b"\x01d", Some(b"2"))];
        let inc2 = vec![rec(b"\x01a", Some(b"3")), rec(b"\x01b", Some(b"3"))];
        let layers: Vec<RecordIter<'_>> = [full, inc1, inc2]
            .into_iter()
            .map(|l| Box::new(l.into_iter().map(Ok)) as RecordIter<'_>)
            .collect();
        let out: Vec<(Vec<u8>, Vec<u8>)> = Merge::new(layers)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let want: Vec<(Vec<u8>, Vec<u8>)> = vec![
            (b"\x01a".to_vec(), b"3".to_vec()),
            (b"\x01b".to_vec(), b"3".to_vec()),
            (b"\x01c".to_vec(), b"1".to_vec()),
            (b"\x01d".to_vec(), b"2".to_vec()),
        ];
        assert_eq!(out, want);
    }

    #[test]
    fn manifest_checksum_catches_any_change() {
        let mut m = Manifest {
            format: FORMAT_NAME.into(),
            version: FORMAT_VERSION,
            deployment: "0x1".into(),
            folder: "2026-49".into(),
            backup_num: 1,
            kind: "full".into(),
            timestamp: "2026-12-06T13:00:00+0000".into(),
            base: None,
            records: 3,
            data: FileEntry {
                name: DATA_FILE.into(),
                bytes: 10,
                sha256: "00".into(),
            },
            checksum: String::new(),
        };
        let bytes = m.to_bytes();
        assert_eq!(Manifest::parse(&bytes, "m").unwrap(), m);
        let text = String::from_utf8(bytes).unwrap();
        let changed = text.replace("\"records\": 3", "\"records\": 4");
        assert_ne!(changed, text);
        assert!(matches!(
            Manifest::parse(changed.as_bytes(), "m"),
            Err(BackupError::Corrupt(_))
        ));
    }
}
