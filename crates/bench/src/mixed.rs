//! `graphcloud-bench mixed`: reads and writes together on many connections.
//!
//! Loads `--people` people (3 friends each), then keeps `--connections` clients (one
//! connection each) busy for `--seconds`. Each request is a write with probability
//! `--write-percent` % — an `addPerson` of one person, or a `deletePerson` of a person that
//! worker added earlier, alternately — and otherwise one of three reads (list with `order`
//! and `offset`, get-by-id with friends, term filter). Read, add and delete latencies are
//! reported separately; a write is answered only after its commit is durable.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use serde_json::{Value, json};

use crate::{GRAPH_SCHEMA, Rng, Server, Summary, WORDS, load_people, name_for, print_memory};

pub struct Options {
    pub connections: usize,
    pub seconds: u64,
    pub write_percent: u64,
    pub people: usize,
    pub seed: u64,
}

#[derive(Default)]
struct Lat {
    read: Vec<Duration>,
    add: Vec<Duration>,
    delete: Vec<Duration>,
    errors: usize,
    first_error: Option<String>,
}

pub async fn run(bin: &Path, o: Options) -> Result<()> {
    let server = Server::start(bin).await?;
    let token = server.login().await?;
    let backend = server.create_deployment(&token, "mixed").await?;
    backend.set_schema(&server.http, GRAPH_SCHEMA).await?;
    let ids = Arc::new(load_people(&server, &backend, o.people, 3, o.seed).await?);
    println!(
        "mixed: {} connections, {} s, {} % writes (add/delete alternately), {} people loaded",
        o.connections, o.seconds, o.write_percent, o.people
    );
    print_memory(&server, "before load");
    let deadline = Instant::now() + Duration::from_secs(o.seconds);
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..o.connections {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()?;
        let url = format!("{}/graphql", backend.base);
        let auth = backend.token.clone();
        let ids = ids.clone();
        let seed = o.seed ^ ((w as u64 + 1) << 20);
        let write_percent = o.write_percent;
        workers.push(tokio::spawn(async move {
            let mut rng = Rng(seed);
            let mut lat = Lat::default();
            let mut mine: Vec<String> = Vec::new();
            let mut add_next = true;
            while Instant::now() < deadline {
                let write = rng.below(100) < write_percent as usize;
                let (kind, body) = if write {
                    if add_next || mine.is_empty() {
                        add_next = false;
                        (1, json!({
                            "query": "mutation($n: String!, $a: Int) { addPerson(input: [{name: $n, age: $a}]) { person { id } } }",
                            "variables": {"n": name_for(&mut rng), "a": rng.below(90)}
                        }))
                    } else {
                        add_next = true;
                        let id = mine.pop().expect("not empty");
                        (2, json!({
                            "query": "mutation($id: [ID!]) { deletePerson(filter: {id: $id}) { numUids } }",
                            "variables": {"id": [id]}
                        }))
                    }
                } else {
                    let id = &ids[rng.below(ids.len())];
                    (0, match rng.below(3) {
                        0 => json!({
                            "query": "query($o: Int) { queryPerson(first: 10, offset: $o, order: {asc: age}) { id name age } }",
                            "variables": {"o": rng.below(1000)}
                        }),
                        1 => json!({
                            "query": "query($id: ID!) { getPerson(id: $id) { name email friends(first: 5) { name } } }",
                            "variables": {"id": id}
                        }),
                        _ => json!({
                            "query": "query($w: String!) { queryPerson(filter: {name: {anyofterms: $w}}, first: 5) { name } }",
                            "variables": {"w": WORDS[rng.below(WORDS.len())]}
                        }),
                    })
                };
                let t = Instant::now();
                let answer: Result<Value, String> = async {
                    let r = http
                        .post(&url)
                        .header("X-Auth-Token", &auth)
                        .json(&body)
                        .send()
                        .await
                        .map_err(|e| e.to_string())?;
                    let status = r.status();
                    let v: Value = r.json().await.map_err(|e| e.to_string())?;
                    if !status.is_success() || v.get("errors").is_some_and(|e| !e.is_null()) {
                        return Err(format!("{status}: {v}"));
                    }
                    Ok(v)
                }
                .await;
                let d = t.elapsed();
                match answer {
                    Ok(v) => match kind {
                        0 => lat.read.push(d),
                        1 => {
                            lat.add.push(d);
                            if let Some(id) = v["data"]["addPerson"]["person"][0]["id"].as_str() {
                                mine.push(id.to_string());
                            }
                        }
                        _ => {
                            if v["data"]["deletePerson"]["numUids"] != json!(1) {
                                lat.errors += 1;
                                lat.first_error.get_or_insert(format!("delete answered {v}"));
                            } else {
                                lat.delete.push(d);
                            }
                        }
                    },
                    Err(e) => {
                        lat.errors += 1;
                        lat.first_error.get_or_insert(e);
                    }
                }
            }
            lat
        }));
    }
    let mut all = Lat::default();
    for w in workers {
        let l = w.await.expect("worker panicked");
        all.read.extend(l.read);
        all.add.extend(l.add);
        all.delete.extend(l.delete);
        all.errors += l.errors;
        if all.first_error.is_none() {
            all.first_error = l.first_error;
        }
    }
    let elapsed = started.elapsed();
    let mut writes = all.add.clone();
    writes.extend(all.delete.iter().copied());
    let reads = Summary::of("reads", all.read, 0, elapsed);
    let writes = Summary::of("writes (add + delete)", writes, 0, elapsed);
    reads.print();
    writes.print();
    Summary::of("  add", all.add, 0, elapsed).print();
    Summary::of("  delete", all.delete, 0, elapsed).print();
    println!(
        "write ÷ read latency: p50 {:.1}×, p99 {:.1}×; {} errors",
        writes.p50.as_secs_f64() / reads.p50.as_secs_f64().max(1e-9),
        writes.p99.as_secs_f64() / reads.p99.as_secs_f64().max(1e-9),
        all.errors
    );
    print_memory(&server, "end");
    if let Some(e) = all.first_error {
        bail!("{} requests failed; first: {e}", all.errors);
    }
    Ok(())
}
