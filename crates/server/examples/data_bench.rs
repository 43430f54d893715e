//! Import, export and thaw benchmark (not a test). Run with
//! `cargo run --release -p graphcloud-server --example data_bench [-- <edges> <thaw edges>]`.
//!
//! * import: an RDF N-Quads file of `<edges>` statements (default 1 000 000: people with a
//!   type, an indexed name, an age and 7 friend edges each) generated in memory, imported
//!   into a fresh backend through `Engine::import` (parse, convert, one atomic write), with
//!   the split between parsing and the store's write and the peak RSS after it (Linux);
//! * export: the same backend written as RDF and as JSON (gzip), as `export` does;
//! * thaw: a backend of `<thaw edges>` (default 100 000) deep-frozen as `freeze` does (full
//!   backup into local backup storage, live range dropped), then restored by the thaw path
//!   (restore + removal of the frozen copy).

use std::fmt::Write as _;
use std::time::Instant;

use graphcloud_backup::{BackupStorage, Backups, RestoreTarget};
use graphcloud_engine::export::ExportFormat;
use graphcloud_engine::import::ImportFile;
use graphcloud_engine::{Access, Caller, Engine};

const SDL: &str =
    "type Person { id: ID! name: String! @search(by: [hash]) age: Int friends: [Person] }";
/// Statements per person: type, name, age and this many friends.
const FRIENDS: u64 = 7;

fn rdf(edges: u64) -> (String, u64) {
    let people = (edges / (3 + FRIENDS)).max(1);
    let mut s = String::with_capacity(edges as usize * 48);
    for i in 0..people {
        let _ = writeln!(s, "<_:p{i}> <dgraph.type> \"Person\" .");
        let _ = writeln!(s, "<_:p{i}> <Person.name> \"person {i}\"^^<xs:string> .");
        let _ = writeln!(s, "<_:p{i}> <Person.age> \"{}\"^^<xs:int> .", i % 90);
        for k in 1..=FRIENDS {
            let _ = writeln!(
                s,
                "<_:p{i}> <Person.friends> <_:p{}> .",
                (i + k * 7919) % people
            );
        }
    }
    (s, people)
}

/// The process's peak resident set size (Linux: `VmHWM` of `/proc/self/status`).
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn admin() -> Caller {
    Caller {
        access: Access::Admin,
        read_only: false,
    }
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let edges: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let thaw_edges: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let store = graphcloud_store::Store::open(&dir.path().join("data")).expect("store");
    let engine = Engine::new(store.clone());

    // Import.
    let (text, people) = rdf(edges);
    let mb = text.len() as f64 / 1e6;
    let e = engine.clone();
    let stats = store.stats();
    let started = Instant::now();
    let report = tokio::task::spawn_blocking(move || {
        e.import(
            1,
            Some(SDL),
            &[ImportFile {
                name: "bench.rdf".into(),
                text,
            }],
        )
    })
    .await
    .unwrap()
    .expect("import");
    let secs = started.elapsed().as_secs_f64();
    let after = store.stats();
    let write = (after.apply_micros + after.commit_micros
        - stats.apply_micros
        - stats.commit_micros) as f64
        / 1e6;
    println!(
        "import: {} statements ({mb:.0} MB of RDF) on {} nodes in {secs:.2} s = {:.0} edges/s \
         (parse and convert {:.2} s, write {write:.2} s)",
        report.edges,
        report.nodes,
        report.edges as f64 / secs,
        secs - write,
    );
    assert_eq!(report.nodes, people);
    if let Some(kb) = peak_rss_kb() {
        println!(
            "peak RSS after the import: {:.0} MB (the RDF text itself: {mb:.0} MB)",
            kb as f64 / 1024.0
        );
    }

    // Export.
    for format in [ExportFormat::Rdf, ExportFormat::Json] {
        let e = engine.clone();
        let started = Instant::now();
        let (counts, bytes) = tokio::task::spawn_blocking(move || {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            let c = e.export_data(1, format, &mut gz).expect("export");
            (c, gz.finish().expect("gzip").len())
        })
        .await
        .unwrap();
        let secs = started.elapsed().as_secs_f64();
        println!(
            "export {}: {} statements of {} nodes in {secs:.2} s = {:.0} edges/s ({:.1} MB gzip)",
            format.extension(),
            counts.entries,
            counts.nodes,
            counts.entries as f64 / secs,
            bytes as f64 / 1e6
        );
    }

    // Thaw of a deep-frozen backend.
    let backups = Backups::new(
        BackupStorage::local(&dir.path().join("backups")).expect("storage"),
        store.clone(),
    );
    let (text, _) = rdf(thaw_edges);
    let e = engine.clone();
    let report = tokio::task::spawn_blocking(move || {
        e.import(
            2,
            Some(SDL),
            &[ImportFile {
                name: "thaw.rdf".into(),
                text,
            }],
        )
    })
    .await
    .unwrap()
    .expect("import");
    let name = "_frozen/0x2";
    let started = Instant::now();
    backups.create(2, name, true).await.expect("frozen copy");
    engine.drop_backend(2).await.expect("drop");
    let freeze = started.elapsed().as_secs_f64();
    let started = Instant::now();
    backups
        .restore(name, &RestoreTarget::default(), 2)
        .await
        .expect("restore");
    backups.delete_all(name).await.expect("delete copy");
    engine.forget(2);
    let thaw = started.elapsed().as_secs_f64();
    let e = engine.clone();
    let first = Instant::now();
    let r = tokio::task::spawn_blocking(move || {
        e.graphql_blocking(
            2,
            admin(),
            &graphcloud_engine::Request {
                query: "{ aggregatePerson { count } }".into(),
                operation_name: None,
                variables: Default::default(),
            },
        )
    })
    .await
    .unwrap();
    let first_query = first.elapsed().as_secs_f64();
    let json = r.to_json();
    println!(
        "deep freeze of {} statements: {freeze:.2} s; thaw: {thaw:.2} s; first query after thaw: {:.0} ms ({})",
        report.edges,
        first_query * 1000.0,
        json["data"]["aggregatePerson"]
    );
}
