//! Conformance against Dgraph's golden data, read in place from the shared conformance
//! directory (`$GRAPHCLOUD_CONFORMANCE_DIR` or `../shared/conformance/dgraph` next to the
//! repository). Each corpus prints `conformance <corpus>: N passed, M failed` and must not fall below
//! its floor.

use std::io::Write;
use std::path::PathBuf;

use serde::Deserialize;

fn data_dir() -> PathBuf {
    match std::env::var_os("GRAPHCLOUD_CONFORMANCE_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/conformance/dgraph"
        )),
    }
}

fn report(corpus: &str, passed: usize, failures: &[String], floor: usize) {
    // Straight to stderr (not `println!`), so the counts show even when the test passes.
    let mut err = std::io::stderr();
    let _ = writeln!(
        err,
        "conformance {corpus}: {passed} passed, {} failed",
        failures.len()
    );
    for f in failures {
        let _ = writeln!(err, "  FAIL {f}");
    }
    assert!(
        passed >= floor,
        "{corpus}: {passed} passed, below the floor of {floor}"
    );
}

// Ratchet floors: raise them as the implementation improves.
const SCHEMAGEN_FLOOR: usize = 52;
const GQLSCHEMA_FLOOR: usize = 215;
const AUTH_FLOOR: usize = 23;
const STORAGE_FLOOR: usize = 32;

#[test]
fn schemagen_pairs() {
    let base = data_dir().join("graphql/schema/testdata/schemagen");
    let mut names: Vec<String> = std::fs::read_dir(base.join("input"))
        .expect("schemagen inputs present")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".graphql"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 52, "52 schemagen pairs expected");
    let mut passed = 0;
    let mut failures = Vec::new();
    for n in &names {
        let input = std::fs::read_to_string(base.join("input").join(n)).expect("input");
        let expected = std::fs::read_to_string(base.join("output").join(n)).expect("output");
        match graphcloud_schema::parse(&input) {
            Ok(s) if s.generated_sdl() == expected => passed += 1,
            Ok(s) => {
                if std::env::var_os("SCHEMAGEN_DUMP").is_some() {
                    let _ = std::fs::write(format!("/tmp/schemagen-{n}"), s.generated_sdl());
                }
                failures.push(format!("{n}: output differs"));
            }
            Err(e) => failures.push(format!("{n}: rejected: {e}")),
        }
    }
    report("schemagen", passed, &failures, SCHEMAGEN_FLOOR);
}

#[test]
fn e2e_generated_schema() {
    let base = data_dir().join("graphql/e2e/schema");
    let input = std::fs::read_to_string(base.join("generatedSchema.input.graphql")).expect("input");
    let expected = std::fs::read_to_string(base.join("generatedSchema.graphql")).expect("output");
    let s = graphcloud_schema::parse(&input).expect("e2e schema accepted");
    if s.generated_sdl() != expected {
        let _ = std::fs::write("/tmp/e2e-generated.graphql", s.generated_sdl());
    }
    assert_eq!(s.generated_sdl(), expected, "e2e generatedSchema differs");
    let _ = writeln!(
        std::io::stderr(),
        "conformance e2e-generatedSchema: 1 passed, 0 failed"
    );
}

#[derive(Deserialize)]
struct Loc {
    line: usize,
    column: usize,
}

#[derive(Deserialize)]
struct ErrEntry {
    message: String,
    #[serde(default)]
    locations: Option<Vec<Loc>>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    input: String,
    #[serde(default)]
    errlist: Option<Vec<ErrEntry>>,
}

#[derive(Deserialize)]
struct Cases {
    invalid_schemas: Vec<Case>,
    valid_schemas: Vec<Case>,
}

fn run_validation(corpus: &str, file: &str, check_locations: bool, floor: usize) {
    let text = std::fs::read_to_string(data_dir().join(file)).expect("yaml present");
    let cases: Cases = serde_yaml::from_str(&text).expect("valid yaml");
    let mut passed = 0;
    let mut failures = Vec::new();
    for c in &cases.invalid_schemas {
        let want = c.errlist.as_deref().unwrap_or_default();
        match graphcloud_schema::parse(&c.input) {
            Ok(_) => failures.push(format!("invalid/{}: accepted", c.name)),
            Err(e) => {
                let got = e.errors();
                let same = got.len() == want.len()
                    && got.iter().zip(want).all(|(g, w)| {
                        g.message == w.message
                            && (!check_locations
                                || w.locations.as_ref().is_none_or(|wl| {
                                    wl.len() == g.locations.len()
                                        && wl
                                            .iter()
                                            .zip(&g.locations)
                                            .all(|(a, b)| a.line == b.line && a.column == b.column)
                                }))
                    });
                if same {
                    passed += 1;
                } else {
                    let g: Vec<String> = got
                        .iter()
                        .map(|g| format!("{} {:?}", g.message, g.locations))
                        .collect();
                    let w: Vec<String> = want
                        .iter()
                        .map(|w| {
                            format!(
                                "{} {:?}",
                                w.message,
                                w.locations.as_ref().map(|l| l
                                    .iter()
                                    .map(|l| (l.line, l.column))
                                    .collect::<Vec<_>>())
                            )
                        })
                        .collect();
                    failures.push(format!(
                        "invalid/{}:\n      got  {g:?}\n      want {w:?}",
                        c.name
                    ));
                }
            }
        }
    }
    for c in &cases.valid_schemas {
        match graphcloud_schema::parse(&c.input) {
            Ok(_) => passed += 1,
            Err(e) => failures.push(format!("valid/{}: rejected: {e}", c.name)),
        }
    }
    report(corpus, passed, &failures, floor);
}

#[test]
fn gqlschema_validation() {
    run_validation(
        "gqlschema",
        "graphql/schema/gqlschema_test.yml",
        true,
        GQLSCHEMA_FLOOR,
    );
}

#[test]
fn auth_schema_validation() {
    run_validation(
        "auth_schemas",
        "graphql/schema/auth_schemas_test.yaml",
        false,
        AUTH_FLOOR,
    );
}

#[derive(Deserialize)]
struct StorageCase {
    name: String,
    input: String,
    #[serde(default)]
    output: String,
}

#[derive(Deserialize)]
struct StorageCases {
    schemas: Vec<StorageCase>,
}

#[test]
fn dgraph_storage_schema() {
    let text = std::fs::read_to_string(data_dir().join("graphql/schema/dgraph_schemagen_test.yml"))
        .expect("yaml present");
    let cases: StorageCases = serde_yaml::from_str(&text).expect("valid yaml");
    let mut passed = 0;
    let mut failures = Vec::new();
    for c in &cases.schemas {
        match graphcloud_schema::parse(&c.input) {
            Ok(s) => {
                let got = s.storage_schema().to_dql();
                let norm = |t: &str| -> Vec<String> {
                    t.lines()
                        .map(|l| l.trim().to_string())
                        .filter(|l| !l.is_empty())
                        .collect()
                };
                if norm(&got) == norm(&c.output) {
                    passed += 1;
                } else {
                    failures.push(format!("{}:\n--- got\n{got}--- want\n{}", c.name, c.output));
                }
            }
            Err(e) => failures.push(format!("{}: rejected: {e}", c.name)),
        }
    }
    report("dgraph_schemagen", passed, &failures, STORAGE_FLOOR);
}

/// `e2e/{normal,directives}/schema_response.json`: the storage schema Dgraph holds after
/// uploading the e2e schemas (internal `dgraph.*` predicates and types excluded).
#[test]
fn e2e_storage_schema_response() {
    let mut passed = 0;
    let mut failures = Vec::new();
    for dir in ["normal", "directives"] {
        let base = data_dir().join("graphql/e2e").join(dir);
        let sdl = std::fs::read_to_string(base.join("schema.graphql")).expect("schema");
        let resp: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(base.join("schema_response.json")).expect("response"),
        )
        .expect("json");
        let s = match graphcloud_schema::parse(&sdl) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{dir}: rejected: {e}"));
                continue;
            }
        };
        let st = s.storage_schema();
        let mut problems = Vec::new();
        let want_preds: Vec<&serde_json::Value> = resp["schema"]
            .as_array()
            .expect("schema list")
            .iter()
            .filter(|p| !p["predicate"].as_str().unwrap_or("").starts_with("dgraph."))
            .collect();
        for w in &want_preds {
            let name = w["predicate"].as_str().unwrap_or_default();
            let Some(g) = st.predicate(name) else {
                problems.push(format!("missing predicate {name}"));
                continue;
            };
            let mut want_tok: Vec<String> = w["tokenizer"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|t| t.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            want_tok.sort();
            let flag = |k: &str| w[k].as_bool().unwrap_or(false);
            let same = g
                .kind
                .as_dql()
                .eq_ignore_ascii_case(w["type"].as_str().unwrap_or(""))
                && g.indexes == want_tok
                && g.list == flag("list")
                && g.upsert == flag("upsert")
                && g.reverse == flag("reverse")
                && g.lang == flag("lang");
            if !same {
                problems.push(format!("predicate {name}: got {g:?}, want {w}"));
            }
        }
        if st.predicates.len() != want_preds.len() {
            problems.push(format!(
                "{} predicates, want {}",
                st.predicates.len(),
                want_preds.len()
            ));
        }
        for w in resp["types"].as_array().expect("types") {
            let name = w["name"].as_str().unwrap_or_default();
            if name.starts_with("dgraph.") {
                continue;
            }
            let mut want_fields: Vec<&str> = w["fields"]
                .as_array()
                .map(|a| a.iter().filter_map(|f| f["name"].as_str()).collect())
                .unwrap_or_default();
            want_fields.sort_unstable();
            match st.types.iter().find(|t| t.name == name) {
                None => problems.push(format!("missing type {name}")),
                Some(t) => {
                    let mut got: Vec<&str> = t.fields.iter().map(|f| f.as_str()).collect();
                    got.sort_unstable();
                    if got != want_fields {
                        problems.push(format!("type {name}: got {got:?}, want {want_fields:?}"));
                    }
                }
            }
        }
        if problems.is_empty() {
            passed += 1;
        } else {
            failures.push(format!("{dir}:\n      {}", problems.join("\n      ")));
        }
    }
    report("e2e-schema_response", passed, &failures, E2E_STORAGE_FLOOR);
}

const E2E_STORAGE_FLOOR: usize = 2;

/// Apollo federation: `apolloservice` pairs and the e2e `apollo_service_response` pair
/// (`_service { sdl }` must equal the golden byte-for-byte).
#[test]
fn apollo_service_sdl() {
    let base = data_dir().join("graphql/schema/testdata/apolloservice");
    let mut pairs: Vec<(String, PathBuf, PathBuf)> = std::fs::read_dir(base.join("input"))
        .expect("apolloservice inputs")
        .filter_map(|e| e.ok())
        .map(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            (n.clone(), e.path(), base.join("output").join(&n))
        })
        .collect();
    pairs.sort();
    let e2e = data_dir().join("graphql/e2e/schema");
    pairs.push((
        "e2e/apollo_service_response".to_string(),
        e2e.join("apollo_service_response.input.graphql"),
        e2e.join("apollo_service_response.graphql"),
    ));
    let mut passed = 0;
    let mut failures = Vec::new();
    for (name, input, output) in &pairs {
        let input = std::fs::read_to_string(input).expect("input");
        let expected = std::fs::read_to_string(output).expect("output");
        match graphcloud_schema::parse(&input) {
            Ok(s) if s.apollo_service_sdl() == expected => passed += 1,
            Ok(s) => {
                if std::env::var_os("SCHEMAGEN_DUMP").is_some() {
                    let file = name.replace('/', "_");
                    let _ = std::fs::write(format!("/tmp/apollo-{file}"), s.apollo_service_sdl());
                }
                failures.push(format!("{name}: output differs"));
            }
            Err(e) => failures.push(format!("{name}: rejected: {e}")),
        }
    }
    report("apolloservice", passed, &failures, APOLLO_FLOOR);
}

const APOLLO_FLOOR: usize = 6;
