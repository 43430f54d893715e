//! Times `graphcloud_schema::parse` (validation, model, generation, printing and the
//! apollo-compiler API build) on Dgraph's end-to-end schema.
//!
//! ```text
//! cargo run --release -p graphcloud-schema --example parse_timing [path/to/schema.graphql] [iterations]
//! ```
//!
//! Without a path it reads `e2e/normal/schema.graphql` from the shared conformance data
//! (`$GRAPHCLOUD_CONFORMANCE_DIR` or `../shared/conformance/dgraph`).

use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().map(PathBuf::from).unwrap_or_else(|| {
        let base = std::env::var_os("GRAPHCLOUD_CONFORMANCE_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../../shared/conformance/dgraph"
                ))
            });
        base.join("graphql/e2e/normal/schema.graphql")
    });
    let iterations: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(200);
    let sdl = match std::fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot read {}: {e}", path.display());
            std::process::exit(2);
        }
    };
    // warm-up and sanity check
    let schema = match graphcloud_schema::parse(&sdl) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("schema rejected:\n{e}");
            std::process::exit(1);
        }
    };
    let mut samples = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let t = Instant::now();
        let s = graphcloud_schema::parse(&sdl).expect("accepted above");
        samples.push(t.elapsed());
        drop(s);
    }
    samples.sort();
    let p = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    println!(
        "{}: {} user types, {} bytes SDL -> {} bytes generated; {} runs: p50 {:?}, p90 {:?}, max {:?}",
        path.display(),
        schema.types().len(),
        sdl.len(),
        schema.generated_sdl().len(),
        samples.len(),
        p(0.5),
        p(0.9),
        samples[samples.len() - 1]
    );
}
