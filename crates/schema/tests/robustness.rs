//! Bad input must give errors, never a panic: every golden input is parsed whole and cut at
//! many points (mid-token, mid-directive, mid-string), and byte noise is spliced in.

use std::path::PathBuf;

fn data_dir() -> PathBuf {
    match std::env::var_os("GRAPHCLOUD_CONFORMANCE_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/conformance/dgraph"
        )),
    }
}

fn inputs() -> Vec<String> {
    let base = data_dir().join("graphql/schema/testdata/schemagen/input");
    let mut out: Vec<String> = std::fs::read_dir(&base)
        .expect("schemagen inputs")
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect();
    for f in [
        "graphql/e2e/normal/schema.graphql",
        "graphql/e2e/directives/schema.graphql",
        "graphql/e2e/auth/schema.graphql",
    ] {
        out.push(std::fs::read_to_string(data_dir().join(f)).expect("e2e schema"));
    }
    out
}

#[test]
fn truncated_inputs_never_panic() {
    let mut parsed = 0usize;
    for sdl in inputs() {
        let cuts: Vec<usize> = sdl.char_indices().map(|(i, _)| i).collect();
        let step = (cuts.len() / 40).max(1);
        for &c in cuts.iter().step_by(step) {
            let _ = graphcloud_schema::parse(&sdl[..c]);
            parsed += 1;
        }
    }
    assert!(parsed > 1000, "only {parsed} prefixes tried");
}

#[test]
fn spliced_noise_never_panics() {
    const NOISE: &[&str] = &[
        "@",
        "(",
        ")",
        "{",
        "}",
        "[",
        "]",
        "!",
        ":",
        "\"",
        "\"\"\"",
        "$",
        "@search(by: [",
        "@id",
        "@hasInverse(field: x)",
        "@dgraph(pred: \"~\")",
        "@custom(http: {url: 1})",
        "@auth(query: {rule: \"{\"})",
        "implements",
        "extend type Q @key(fields: \"id\") { id: ID! }",
        "interface",
        "union U = ",
        "enum E {",
        "# Dgraph.Authorization {",
        "\u{0}",
        "é",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for sdl in inputs() {
        let cuts: Vec<usize> = sdl
            .char_indices()
            .map(|(i, _)| i)
            .chain([sdl.len()])
            .collect();
        for _ in 0..30 {
            let at = cuts[(next() as usize) % cuts.len()];
            let noise = NOISE[(next() as usize) % NOISE.len()];
            let mut s = String::with_capacity(sdl.len() + noise.len());
            s.push_str(&sdl[..at]);
            s.push_str(noise);
            s.push_str(&sdl[at..]);
            let _ = graphcloud_schema::parse(&s);
        }
    }
}

#[test]
fn e2e_schemas_are_accepted() {
    for f in [
        "graphql/e2e/normal/schema.graphql",
        "graphql/e2e/directives/schema.graphql",
        "graphql/e2e/auth/schema.graphql",
        "graphql/resolve/schema.graphql",
    ] {
        let sdl = std::fs::read_to_string(data_dir().join(f)).expect("schema file");
        if let Err(e) = graphcloud_schema::parse(&sdl) {
            panic!("{f} rejected:\n{e}");
        }
    }
}
