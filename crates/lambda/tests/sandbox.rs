//! The sandbox on its own: script API shapes, errors, limits and recovery.

use std::sync::Arc;
use std::time::{Duration, Instant};

use graphcloud_lambda::{Call, Config, GraphqlCall, Host, LambdaError, Lambdas};
use serde_json::{Value, json};

fn cfg() -> Config {
    Config {
        timeout: Duration::from_millis(300),
        memory_limit: 16 * 1024 * 1024,
        ..Config::default()
    }
}

fn run(
    l: &Lambdas,
    backend: u64,
    version: u64,
    script: &str,
    req: Value,
) -> Result<Value, LambdaError> {
    let src = script.to_string();
    let source = move || Some(src.clone());
    l.call(Call {
        backend,
        version,
        source: &source,
        request: &req,
        auth: None,
        depth: 0,
        read_only: false,
    })
}

const SCRIPT: &str = r#"
const fullName = ({ parent: { firstName, lastName } }) => `${firstName} ${lastName}`;
async function todoTitles({ parents }) {
  return parents.map(p => p.title.toUpperCase());
}
self.addGraphQLResolvers({
  "User.fullName": fullName,
  "Query.echo": ({ args }) => ({ said: args.text, n: args.n ?? null }),
  "Mutation.double": async ({ args }) => { await null; return args.x * 2; },
  "Query.throws": () => { throw new Error("nope: bad input"); },
  "Query.loop": () => { for (;;) {} },
  "Query.alloc": () => { const a = []; for (;;) { a.push(new Array(100000).fill(1)); } },
  "Query.recurse": () => { const f = (n) => f(n + 1) + 1; return f(0); },
  "Query.never": () => new Promise(() => {}),
  "Query.later": () => new Promise(res => setTimeout(() => res("done"), 20)),
  "Query.undef": () => undefined,
  "Query.log": () => { console.log("hello", {a: 1}); console.error("bad", 2); return true; },
});
self.addMultiParentGraphQLResolvers({
  "Todo.title2": todoTitles,
  "Todo.wrong": ({ parents }) => [1],
});
"#;

#[test]
fn single_parent_field_is_called_per_parent() {
    let l = Lambdas::new(cfg());
    let out = run(&l, 1, 1, SCRIPT, json!({
        "resolver": "User.fullName",
        "parents": [{"firstName": "Ada", "lastName": "Lovelace"}, {"firstName": "Alan", "lastName": "Turing"}],
        "args": {},
    })).unwrap();
    assert_eq!(out, json!(["Ada Lovelace", "Alan Turing"]));
}

#[test]
fn multi_parent_field_gets_all_parents_at_once() {
    let l = Lambdas::new(cfg());
    let out = run(
        &l,
        1,
        1,
        SCRIPT,
        json!({
            "resolver": "Todo.title2",
            "parents": [{"title": "a"}, {"title": "b"}, {"title": "c"}],
        }),
    )
    .unwrap();
    assert_eq!(out, json!(["A", "B", "C"]));
    let e = run(
        &l,
        1,
        1,
        SCRIPT,
        json!({"resolver": "Todo.wrong", "parents": [{"title": "a"}, {"title": "b"}]}),
    )
    .unwrap_err();
    assert!(
        matches!(e, LambdaError::Shape(ref m) if m.contains("1 results for 2 parents")),
        "{e}"
    );
}

#[test]
fn root_fields_get_args_and_may_be_async() {
    let l = Lambdas::new(cfg());
    assert_eq!(
        run(
            &l,
            1,
            1,
            SCRIPT,
            json!({"resolver": "Query.echo", "args": {"text": "hi"}})
        )
        .unwrap(),
        json!({"said": "hi", "n": null})
    );
    assert_eq!(
        run(
            &l,
            1,
            1,
            SCRIPT,
            json!({"resolver": "Mutation.double", "args": {"x": 21}})
        )
        .unwrap(),
        json!(42)
    );
    assert_eq!(
        run(&l, 1, 1, SCRIPT, json!({"resolver": "Query.later"})).unwrap(),
        json!("done")
    );
}

#[test]
fn exceptions_and_shapes_are_errors() {
    let l = Lambdas::new(cfg());
    let e = run(&l, 1, 1, SCRIPT, json!({"resolver": "Query.throws"})).unwrap_err();
    assert_eq!(e, LambdaError::Thrown("nope: bad input".into()));
    let e = run(&l, 1, 1, SCRIPT, json!({"resolver": "Query.undef"})).unwrap_err();
    assert!(matches!(e, LambdaError::Shape(_)), "{e}");
    let e = run(&l, 1, 1, SCRIPT, json!({"resolver": "Query.missing"})).unwrap_err();
    assert_eq!(
        e,
        LambdaError::Thrown("no resolver is registered for Query.missing".into())
    );
}

#[test]
fn limits_stop_hostile_code_and_the_next_call_works() {
    let l = Lambdas::new(cfg());
    let t = Instant::now();
    let e = run(&l, 1, 1, SCRIPT, json!({"resolver": "Query.loop"})).unwrap_err();
    assert_eq!(e, LambdaError::Timeout(300));
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    let e = run(&l, 1, 1, SCRIPT, json!({"resolver": "Query.alloc"})).unwrap_err();
    assert_eq!(e, LambdaError::Memory(16 * 1024 * 1024));
    let e = run(&l, 1, 1, SCRIPT, json!({"resolver": "Query.recurse"})).unwrap_err();
    assert_eq!(e, LambdaError::Stack);
    let e = run(&l, 1, 1, SCRIPT, json!({"resolver": "Query.never"})).unwrap_err();
    assert_eq!(e, LambdaError::NeverSettled);
    // The deployment keeps working after every one of them.
    assert_eq!(
        run(
            &l,
            1,
            1,
            SCRIPT,
            json!({"resolver": "Query.echo", "args": {"text": "ok"}})
        )
        .unwrap()["said"],
        json!("ok")
    );
    // Limit violations are logged.
    let lines = l.log_lines(1, None, None);
    assert!(
        lines.iter().any(|x| x.contains(
            "[ERROR] resolver Query.loop: the lambda resolver exceeded its time limit of 300 ms"
        )),
        "{lines:?}"
    );
}

#[test]
fn console_goes_to_the_deployment_log() {
    let l = Lambdas::new(cfg());
    run(&l, 7, 1, SCRIPT, json!({"resolver": "Query.log"})).unwrap();
    let lines = l.log_lines(7, None, None);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].ends_with(" +0000 UTC [INFO] hello {\"a\":1}"),
        "{}",
        lines[0]
    );
    assert!(lines[1].ends_with("[ERROR] bad 2"), "{}", lines[1]);
    assert!(l.log_lines(8, None, None).is_empty());
}

#[test]
fn syntax_errors_name_line_and_column() {
    let l = Lambdas::new(cfg());
    let e = l.check("const a = 1;\nconst b = ;\n").unwrap_err();
    match e {
        LambdaError::Load {
            message,
            line,
            column,
        } => {
            assert!(message.starts_with("SyntaxError"), "{message}");
            assert_eq!(line, 2);
            assert!(column > 0);
        }
        other => panic!("{other:?}"),
    }
    let e = l.check("while (true) {}").unwrap_err();
    assert!(e.to_string().contains("time limit"), "{e}");
    assert!(l.check(SCRIPT).is_ok());
}

#[test]
fn a_new_version_replaces_the_script() {
    let l = Lambdas::new(cfg());
    let v1 = r#"self.addGraphQLResolvers({"Query.v": () => 1})"#;
    let v2 = r#"self.addGraphQLResolvers({"Query.v": () => 2})"#;
    assert_eq!(
        run(&l, 3, 1, v1, json!({"resolver": "Query.v"})).unwrap(),
        json!(1)
    );
    assert_eq!(
        run(&l, 3, 2, v2, json!({"resolver": "Query.v"})).unwrap(),
        json!(2)
    );
}

#[test]
fn webhooks_dispatch_by_type_and_operation() {
    let l = Lambdas::new(cfg());
    let s = r#"self.addWebHookResolvers({"Todo.add": async ({event}) => { console.log(event.__typename, event.operation, event.add.rootUIDs.join(",")); }})"#;
    let out = run(&l, 4, 1, s, json!({"resolver": "$webhook", "event": {"__typename": "Todo", "operation": "add", "add": {"rootUIDs": ["0x1", "0x2"], "input": []}}})).unwrap();
    assert_eq!(out, Value::Null);
    let lines = l.log_lines(4, None, None);
    assert!(lines[0].ends_with("[INFO] Todo add 0x1,0x2"), "{lines:?}");
}

struct Echo;
impl Host for Echo {
    fn graphql(&self, c: GraphqlCall) -> Result<Value, String> {
        Ok(json!({"data": {
            "backend": c.backend, "query": c.query, "vars": c.variables,
            "auth": c.auth.map(|a| a.1), "depth": c.depth
        }}))
    }
}

#[test]
fn graphql_helper_calls_the_host_with_the_callers_auth() {
    let l = Lambdas::new(cfg());
    l.set_host(Arc::new(Echo));
    let s = r#"self.addGraphQLResolvers({"Query.g": async ({graphql}) => {
        const r = await graphql("query { x }", {a: 1});
        const r2 = await graphql("query { y }", {}, {key: "X-Auth", value: "other"});
        return [r.data, r2.data.auth];
    }})"#;
    let src = s.to_string();
    let source = move || Some(src.clone());
    let req = json!({"resolver": "Query.g"});
    let out = l
        .call(Call {
            backend: 9,
            version: 1,
            source: &source,
            request: &req,
            auth: Some(("X-Auth".into(), "tok".into())),
            depth: 0,
            read_only: false,
        })
        .unwrap();
    assert_eq!(
        out,
        json!([{"backend": 9, "query": "query { x }", "vars": {"a": 1}, "auth": "tok", "depth": 1}, "other"])
    );
}

#[test]
fn fetch_refuses_loopback_by_default() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let l = Lambdas::new(cfg());
    let s = r#"self.addGraphQLResolvers({"Query.f": async () => { try { await fetch("http://127.0.0.1:9/x"); return "fetched"; } catch (e) { return String(e); } }})"#;
    let out = rt
        .block_on(async {
            let l = l.clone();
            tokio::task::spawn_blocking(move || run(&l, 5, 1, s, json!({"resolver": "Query.f"})))
                .await
                .unwrap()
        })
        .unwrap();
    let text = out.as_str().unwrap();
    assert!(
        text.contains("private or loopback") && text.contains("--allow-private-network"),
        "{text}"
    );
}

#[test]
fn idle_sandboxes_are_dropped() {
    let l = Lambdas::new(Config {
        idle_ttl: Duration::from_millis(1),
        ..cfg()
    });
    assert_eq!(l.resident().0, 0);
    run(
        &l,
        1,
        1,
        SCRIPT,
        json!({"resolver": "Query.echo", "args": {"text": "x"}}),
    )
    .unwrap();
    assert_eq!(l.resident().0, 1);
    std::thread::sleep(Duration::from_millis(5));
    l.evict_idle();
    assert_eq!(l.resident(), (0, 0));
}

#[test]
fn event_listener_form_and_bare_globals() {
    let l = Lambdas::new(cfg());
    let s = r#"
addGraphQLResolvers({"Query.bare": () => "bare"});
addEventListener("graphql", e => {
  if (e.type === "Query.low") e.respondWith(Promise.resolve({ n: e.args.n }));
});
"#;
    assert_eq!(
        run(&l, 1, 1, s, json!({"resolver": "Query.bare"})).unwrap(),
        json!("bare")
    );
    assert_eq!(
        run(
            &l,
            1,
            1,
            s,
            json!({"resolver": "Query.low", "args": {"n": 3}})
        )
        .unwrap(),
        json!({"n": 3})
    );
    let e = run(&l, 1, 1, s, json!({"resolver": "Query.none"})).unwrap_err();
    assert_eq!(
        e,
        LambdaError::Thrown("no resolver is registered for Query.none".into())
    );
}
