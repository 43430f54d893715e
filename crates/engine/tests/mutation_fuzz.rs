//! Robustness of the mutation functions on inputs the request validator would normally have
//! rejected: arbitrary JSON for `add`/`update`/`delete` of every type never panics, and a
//! refused mutation leaves the store exactly as it was.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use graphcloud_engine::api::compile;
use graphcloud_engine::mutation::{self, store_write::TxnGraph};
use graphcloud_engine::{Access, Caller, Engine, EngineError, ExecCtx, JsonValue, MutationOutcome};
use graphcloud_store::{GraphRead as _, Store, StoreError};
use proptest::prelude::*;
use serde_json::{Value, json};

const BACKEND: u64 = 4;
const ADMIN: Caller = Caller {
    access: Access::Admin,
    read_only: false,
};

const SDL: &str = r#"
type Country { id: ID! name: String! @search(by: [hash]) states: [State] @hasInverse(field: country) }
type State { id: ID! code: String! @id name: String! country: Country location: Point }
type User @secret(field: "password") { username: String! @id age: Int born: DateTime }
interface Animal { id: ID! name: String! @id }
type Dog implements Animal { breed: String }
type Cat implements Animal { lives: Int }
union Pet = Dog | Cat
type Owner { id: ID! name: String! @search(by: [hash]) pets: [Pet] best: Pet area: Polygon }
"#;

const KEYS: &[&str] = &[
    "id",
    "name",
    "code",
    "country",
    "states",
    "location",
    "longitude",
    "latitude",
    "username",
    "password",
    "age",
    "born",
    "breed",
    "lives",
    "pets",
    "best",
    "dogRef",
    "catRef",
    "area",
    "coordinates",
    "points",
    "filter",
    "set",
    "remove",
    "eq",
    "in",
    "has",
    "and",
    "or",
    "not",
    "zzz",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        any::<u64>().prop_map(|u| json!(u)),
        (-1e6f64..1e6).prop_map(|f| json!(f)),
        prop_oneof![
            Just(""),
            Just("0x1"),
            Just("0x2"),
            Just("hi"),
            Just("nsw"),
            Just("2000-01-01"),
            Just("secret12"),
            Just("abc"),
        ]
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((proptest::sample::select(KEYS), inner), 0..5).prop_map(
                |kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            ),
        ]
    })
}

fn fingerprint(engine: &Engine) -> Vec<(u64, Vec<String>)> {
    let snap = engine.store().read(BACKEND).unwrap();
    (1..=snap.max_uid().unwrap())
        .map(|u| {
            let entries = snap.node(u).unwrap();
            (u, entries.iter().map(|e| format!("{e:?}")).collect())
        })
        .collect()
}

struct Setup {
    engine: Engine,
    ctx: ExecCtx,
    _dir: tempfile::TempDir,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::new(Store::open(dir.path()).unwrap());
    engine.update_schema(BACKEND, ADMIN, SDL).unwrap();
    let ctx = ExecCtx {
        api: Arc::new(compile(SDL).unwrap()),
        backend: BACKEND,
        access: Access::Admin,
        now: time::OffsetDateTime::now_utc(),
    };
    // Some data for references to find.
    let seed = json!({"name": "c", "states": [{"code": "nsw", "name": "NSW"}]});
    run(&engine, &ctx, "add", "Country", seed, false).expect("seed");
    Setup {
        engine,
        ctx,
        _dir: dir,
    }
}

/// Runs one mutation function in its own write; a panic inside is reported as `Err("panic")`.
fn run(
    engine: &Engine,
    ctx: &ExecCtx,
    kind: &'static str,
    ty: &'static str,
    input: Value,
    upsert: bool,
) -> Result<MutationOutcome, String> {
    let ctx = ctx.clone();
    let input: JsonValue = input.into();
    let panicked = Arc::new(AtomicBool::new(false));
    let flag = panicked.clone();
    let r = engine.store().write_blocking(BACKEND, move |txn| {
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut g = TxnGraph::new(txn);
            match kind {
                "add" => mutation::add(&ctx, &mut g, ty, &input, upsert),
                "update" => mutation::update(&ctx, &mut g, ty, &input),
                _ => mutation::delete(&ctx, &mut g, ty, &input),
            }
        }));
        match out {
            Ok(r) => r.map_err(|e: EngineError| StoreError::Aborted(e.to_string())),
            Err(_) => {
                flag.store(true, Ordering::SeqCst);
                Err(StoreError::Aborted("panic".into()))
            }
        }
    });
    if panicked.load(Ordering::SeqCst) {
        return Err("panic".into());
    }
    r.map_err(|e| e.to_string())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_inputs_never_panic_and_failures_change_nothing(
        kind in proptest::sample::select(vec!["add", "update", "delete"]),
        ty in proptest::sample::select(vec!["Country", "State", "User", "Dog", "Cat", "Animal", "Owner", "Pet", "Nope"]),
        input in json_value(),
        upsert in any::<bool>(),
    ) {
        let s = setup();
        let before = fingerprint(&s.engine);
        if let Err(e) = run(&s.engine, &s.ctx, kind, ty, input.clone(), upsert) {
            prop_assert_ne!(e.as_str(), "panic", "{} {} {}", kind, ty, input);
            prop_assert_eq!(&fingerprint(&s.engine), &before, "{} {} {} -> {}", kind, ty, input, e);
        }
    }
}
