//! End-to-end test with the real `slash-graphql` 1.16.7 CLI from npm, run with
//! `--environment dev` (which hard-codes the control plane `http://localhost:8070`) against
//! `graphcloud serve` whose backend listener uses a TLS certificate from a throw-away CA.
//!
//! The CLI is installed with npm into a cache directory under the target dir on first use.
//! Node does not resolve `*.localhost`, so the CLI runs with a preloaded script that answers
//! `dns.lookup` for `localhost` and `*.localhost` with 127.0.0.1; the CA goes in
//! `NODE_EXTRA_CA_CERTS`; `BROWSER=true` turns the device-login browser launch into a no-op.
//!
//! Needs: `node` and `npm` on PATH, the npm registry (first run only), and port 8070 free.
//! Set `GRAPHCLOUD_SKIP_SLASH_CLI=1` to skip on machines without Node.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{
    EMAIL, PASSWORD, Server, control_graphql, deployments, make_certificates, session_token,
};
use serde_json::{Value, json};

const CLI_VERSION: &str = "1.16.7";
const CONTROL_PORT: u16 = 8070;
const SUBDOMAIN: &str = "cli-test";

/// Installs `slash-graphql@1.16.7` under the target dir unless it is already there and
/// returns the path of its `bin/run` script.
fn install_cli() -> PathBuf {
    let prefix =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("slash-graphql-{CLI_VERSION}"));
    let package = prefix.join("node_modules").join("slash-graphql");
    let installed = std::fs::read_to_string(package.join("package.json"))
        .ok()
        .and_then(|s| serde_json::from_str::<Value>(&s).ok())
        .is_some_and(|p| p["version"] == CLI_VERSION);
    if !installed {
        std::fs::create_dir_all(&prefix).unwrap();
        let out = Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--no-save",
                "--prefix",
            ])
            .arg(&prefix)
            .arg(format!("slash-graphql@{CLI_VERSION}"))
            .output()
            .expect("npm must be on PATH to install the slash-graphql CLI");
        assert!(
            out.status.success(),
            "npm install slash-graphql@{CLI_VERSION} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let run = package.join("bin").join("run");
    assert!(run.exists(), "{} missing after install", run.display());
    run
}

const DNS_PRELOAD: &str = r#"'use strict';
// Resolve localhost and *.localhost to 127.0.0.1 (the backends' listener).
const dns = require('dns');
const original = dns.lookup;
dns.lookup = function lookup(hostname, options, callback) {
  if (typeof options === 'function') { callback = options; options = {}; }
  if (typeof options === 'number') { options = { family: options }; }
  options = options || {};
  if (typeof hostname === 'string' &&
      (hostname === 'localhost' || hostname.endsWith('.localhost'))) {
    if (options.all) {
      process.nextTick(callback, null, [{ address: '127.0.0.1', family: 4 }]);
    } else {
      process.nextTick(callback, null, '127.0.0.1', 4);
    }
    return {};
  }
  return original.call(dns, hostname, options, callback);
};
"#;

struct Cli {
    run: PathBuf,
    home: PathBuf,
    ca: PathBuf,
    preload: PathBuf,
}

struct CliRun {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Cli {
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("node");
        cmd.arg(&self.run)
            .args(args)
            .args(["--environment", "dev"])
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("XDG_CACHE_HOME", self.home.join(".cache"))
            .env("XDG_DATA_HOME", self.home.join(".local/share"))
            .env("NODE_EXTRA_CA_CERTS", &self.ca)
            .env(
                "NODE_OPTIONS",
                format!("--require {}", self.preload.display()),
            )
            .env("BROWSER", "true")
            .env("SLASH_GRAPHQL_DISABLE_AUTOUPDATE", "true")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("NODE_TLS_REJECT_UNAUTHORIZED")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Runs a CLI command to completion (bounded by `timeout`).
    fn run(&self, args: &[&str], timeout: Duration) -> CliRun {
        let child = self.command(args).spawn().expect("node must be on PATH");
        let (lines, done) = collect(child, timeout);
        drop(lines);
        let r = done.recv().expect("CLI process result");
        eprintln!(
            "$ slash-graphql {}\n  exit {:?}\n  stdout: {}\n  stderr: {}",
            args.join(" "),
            r.code,
            r.stdout.trim(),
            r.stderr.trim()
        );
        r
    }

    fn auth_file(&self) -> PathBuf {
        self.home.join(".config/slash-graphql/auth-stg.yml")
    }
}

/// Streams a child's stdout lines and delivers its final result, killing it after
/// `timeout`.
fn collect(
    mut child: std::process::Child,
    timeout: Duration,
) -> (mpsc::Receiver<String>, mpsc::Receiver<CliRun>) {
    let (line_tx, line_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        let out_thread = std::thread::spawn(move || {
            let mut all = String::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                all.push_str(&line);
                all.push('\n');
                let _ = line_tx.send(line);
            }
            all
        });
        let err_thread = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Ok(Some(status)) = child.try_wait() {
                break Some(status);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let stdout = out_thread.join().unwrap_or_default();
        let mut stderr = err_thread.join().unwrap_or_default();
        if status.is_none() {
            stderr.push_str(&format!("\n[killed after {timeout:?}]"));
        }
        let _ = done_tx.send(CliRun {
            code: status.and_then(|s| s.code()),
            stdout,
            stderr,
        });
    });
    (line_rx, done_rx)
}

/// `slash-graphql login`: reads the user code the CLI prints, approves it with the
/// control-plane mutation `approveDeviceLogin`, and waits for the CLI to finish.
async fn device_login(cli: &Cli, server: &Server, token: &str) {
    let cp = server.url();
    let child = cli
        .command(&["login"])
        .spawn()
        .expect("node must be on PATH");
    let (lines, done) = collect(child, Duration::from_secs(120));
    let marker = "You should see the following code in your browser:";
    let user_code = loop {
        let line = lines
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| {
                panic!(
                    "the CLI printed no user code; server log:\n{}",
                    server.log()
                )
            });
        if let Some(rest) = line.split(marker).nth(1) {
            break rest.trim().to_string();
        }
    };
    assert!(!user_code.is_empty());
    let approved = control_graphql(
        &cp,
        Some(token),
        "mutation($c: String!) { approveDeviceLogin(userCode: $c) }",
        json!({ "c": user_code }),
    )
    .await;
    assert!(
        approved.get("errors").is_none(),
        "approveDeviceLogin: {approved}"
    );
    let r = done.recv().unwrap();
    eprintln!(
        "$ slash-graphql login\n  stdout: {}\n  stderr: {}",
        r.stdout, r.stderr
    );
    assert_eq!(
        r.code,
        Some(0),
        "login failed: {}\nserver log:\n{}",
        r.stderr,
        server.log()
    );
    assert!(r.stdout.contains("Logged In"), "{}", r.stdout);
}

#[tokio::test]
async fn slash_graphql_cli_end_to_end() {
    if std::env::var("GRAPHCLOUD_SKIP_SLASH_CLI").is_ok_and(|v| v == "1") {
        eprintln!("GRAPHCLOUD_SKIP_SLASH_CLI=1: skipping the slash-graphql CLI test");
        return;
    }
    // The CLI's dev environment is fixed to localhost:8070.
    drop(
        TcpListener::bind(("127.0.0.1", CONTROL_PORT)).unwrap_or_else(|e| {
            panic!("port {CONTROL_PORT} must be free for the slash-graphql test: {e}")
        }),
    );

    let run = install_cli();
    let scratch = tempfile::tempdir().unwrap();
    let names = [
        "localhost".to_string(),
        "*.localhost".to_string(),
        // Node refuses a wildcard directly under a one-label name, so list the exact name.
        format!("{SUBDOMAIN}.localhost"),
    ];
    let (ca, cert, key) = make_certificates(scratch.path(), &names);
    let preload = scratch.path().join("resolve-localhost.js");
    std::fs::write(&preload, DNS_PRELOAD).unwrap();
    let home = scratch.path().join("home");
    // The CLI writes its token file without waiting for the directory to exist.
    std::fs::create_dir_all(home.join(".config/slash-graphql")).unwrap();
    let cli = Cli {
        run,
        home,
        ca,
        preload,
    };

    let server = Server::start_with(
        &[(EMAIL, PASSWORD)],
        &[
            "--tls-cert".into(),
            cert.display().to_string(),
            "--tls-key".into(),
            key.display().to_string(),
        ],
        Some(CONTROL_PORT),
    );
    let cp = server.url();
    let token = session_token(&cp, EMAIL, PASSWORD).await;

    // login: device flow, approved through the control plane.
    device_login(&cli, &server, &token).await;
    let auth = std::fs::read_to_string(cli.auth_file()).expect("auth-stg.yml written");
    for field in ["access_token:", "refresh_token:", "expires_in:", "apiTime:"] {
        assert!(auth.contains(field), "token file lacks {field}: {auth}");
    }

    // refresh-login (hidden): trades the refresh token for a new access token.
    let r = cli.run(&["refresh-login"], Duration::from_secs(60));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("Got a new token: "), "{}", r.stdout);
    assert!(
        r.stderr.contains("Successfully refreshed token"),
        "{}",
        r.stderr
    );
    let refreshed = std::fs::read_to_string(cli.auth_file()).unwrap();
    assert_ne!(refreshed, auth, "the token file is replaced");

    // list-backends with none.
    let r = cli.run(&["list-backends"], Duration::from_secs(60));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr.contains("You do not have any backends"),
        "{}",
        r.stderr
    );

    // deploy-backend: REST create, then the readiness poll over TLS.
    let endpoint = format!(
        "https://{SUBDOMAIN}.localhost:{}/graphql",
        server.backend_port
    );
    let r = cli.run(
        &["deploy-backend", "CLI Test", "-s", SUBDOMAIN],
        Duration::from_secs(150),
    );
    assert_eq!(
        r.code,
        Some(0),
        "{}\nserver log:\n{}",
        r.stderr,
        server.log()
    );
    assert!(
        r.stdout
            .contains(&format!("Waiting for backend to come up at {endpoint}")),
        "{}",
        r.stdout
    );
    assert_eq!(
        r.stdout.lines().last(),
        Some(endpoint.as_str()),
        "{}",
        r.stdout
    );
    let listed = deployments(&cp, &token).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["name"], "CLI Test");
    assert_eq!(listed[0]["subdomain"], SUBDOMAIN);
    assert_eq!(listed[0]["deploymentMode"], "graphql");
    let uid = listed[0]["uid"].as_str().unwrap().to_string();

    // list-backends shows it with its https endpoint.
    let r = cli.run(&["list-backends", "--no-truncate"], Duration::from_secs(60));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let row = r
        .stdout
        .lines()
        .find(|l| l.contains(&uid))
        .unwrap_or_else(|| panic!("no row for {uid}: {}", r.stdout));
    assert!(row.contains("CLI Test") && row.contains(&endpoint), "{row}");

    // update-backend by uid.
    let r = cli.run(
        &["update-backend", "-e", &uid, "-n", "CLI Renamed", "-y"],
        Duration::from_secs(60),
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let message = r
        .stdout
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_string();
    assert!(
        !message.is_empty() && message != "undefined",
        "{}",
        r.stdout
    );
    let listed = deployments(&cp, &token).await;
    assert_eq!(listed[0]["name"], "CLI Renamed");

    // update-backend by endpoint URL: the CLI maps it to the uid through `deployments`.
    let r = cli.run(
        &["update-backend", "-e", &endpoint, "-m", "flexible", "-y"],
        Duration::from_secs(60),
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let listed = deployments(&cp, &token).await;
    assert_eq!(listed[0]["deploymentMode"], "flexible");
    assert_eq!(listed[0]["name"], "CLI Renamed");

    // create-apikey (hidden command): prints the key, which the control plane lists.
    let r = cli.run(
        &["create-apikey", &uid, "-n", "cli-key", "-r", "admin"],
        Duration::from_secs(60),
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let key = r.stdout.trim().to_string();
    assert!(
        key.len() >= 16 && !key.contains(char::is_whitespace),
        "{}",
        r.stdout
    );
    let keys = control_graphql(
        &cp,
        Some(&token),
        "query($d: String!) { getDeploymentAPIKeys(deploymentID: $d) { name role prefix } }",
        json!({ "d": uid }),
    )
    .await;
    let keys = keys["data"]["getDeploymentAPIKeys"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("{keys}"));
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(keys[0]["name"], "cli-key");
    assert_eq!(keys[0]["role"], "admin");
    assert!(key.starts_with(keys[0]["prefix"].as_str().unwrap_or("\u{0}")));

    // The printed key opens the backend's /admin over TLS, sent the way the CLI sends
    // credentials (raw Authorization header); a made-up key does not.
    let ca_cert = reqwest::Certificate::from_pem(&std::fs::read(&cli.ca).unwrap()).unwrap();
    let https = reqwest::Client::builder()
        .tls_certs_only([ca_cert])
        .resolve(
            &format!("{SUBDOMAIN}.localhost"),
            ([127, 0, 0, 1], server.backend_port).into(),
        )
        .build()
        .unwrap();
    let admin_url = format!(
        "https://{SUBDOMAIN}.localhost:{}/admin",
        server.backend_port
    );
    let admin_status = |credential: String| {
        let https = https.clone();
        let admin_url = admin_url.clone();
        async move {
            https
                .post(admin_url)
                .header("Authorization", credential)
                .json(&json!({ "query": "{ getGQLSchema { schema } }" }))
                .send()
                .await
                .expect("TLS request to the backend")
                .status()
                .as_u16()
        }
    };
    assert_eq!(admin_status(key.clone()).await, 200);
    assert_eq!(admin_status(format!("{key}x")).await, 401);

    // Backups and drops through the CLI's /admin/slash commands (the CLI sends the
    // deployment's jwtToken as the raw Authorization header).
    let backend_call = |path: &'static str, query: &'static str| {
        let https = https.clone();
        let key = key.clone();
        let url = format!(
            "https://{SUBDOMAIN}.localhost:{}{path}",
            server.backend_port
        );
        async move {
            https
                .post(url)
                .header("Authorization", key)
                .json(&json!({ "query": query }))
                .send()
                .await
                .expect("TLS request to the backend")
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let body = backend_call(
        "/admin",
        "mutation { updateGQLSchema(input: {set: {schema: \"type Person { id: ID! name: String! age: Int }\"}}) { gqlSchema { schema } } }",
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    let people = || {
        backend_call(
            "/graphql",
            "{ queryPerson(order: {asc: name}) { name age } }",
        )
    };
    let body = backend_call(
        "/graphql",
        "mutation { addPerson(input: [{name: \"Ada\", age: 36}, {name: \"Bob\", age: 40}]) { numUids } }",
    )
    .await;
    assert_eq!(body["data"]["addPerson"]["numUids"], 2, "{body}");
    let backup = control_graphql(
        &cp,
        Some(&token),
        "mutation($d: String!) { createBackup(deploymentID: $d) { backupNum folder type } }",
        json!({ "d": uid }),
    )
    .await;
    let folder = backup["data"]["createBackup"]["folder"]
        .as_str()
        .unwrap_or_else(|| panic!("{backup}"))
        .to_string();

    let r = cli.run(&["list-backups", "-e", &endpoint], Duration::from_secs(60));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let row = r
        .stdout
        .lines()
        .find(|l| l.contains(&folder))
        .unwrap_or_else(|| panic!("no backup row: {}", r.stdout));
    assert!(
        row.contains("full") && row.trim_end().ends_with('1'),
        "{row}"
    );

    let r = cli.run(
        &["drop", "-e", &endpoint, "-d", "-y"],
        Duration::from_secs(60),
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.contains("Successfully dropped all data!"),
        "{}",
        r.stdout
    );
    assert_eq!(people().await["data"]["queryPerson"], json!([]));

    let r = cli.run(
        &[
            "restore-backend",
            "-e",
            &endpoint,
            "--source",
            &uid,
            "-y",
            "-q",
        ],
        Duration::from_secs(60),
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let restore_id = r
        .stdout
        .trim()
        .strip_prefix("Restore key: ")
        .unwrap_or_else(|| panic!("{}", r.stdout))
        .to_string();
    let mut status = String::new();
    for _ in 0..30 {
        let r = cli.run(
            &["restore-backend-status", "-e", &endpoint, &restore_id],
            Duration::from_secs(60),
        );
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        status = r.stdout.trim().to_string();
        if status != "Restore status: IN_PROGRESS" {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(status, "Restore status: OK");
    assert_eq!(
        people().await["data"]["queryPerson"],
        json!([{"name": "Ada", "age": 36}, {"name": "Bob", "age": 40}])
    );

    let r = cli.run(
        &["drop", "-e", &endpoint, "-F", "Person.age", "-y"],
        Duration::from_secs(60),
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout
            .contains("Successfully dropped listed types/fields"),
        "{}",
        r.stdout
    );
    assert_eq!(
        people().await["data"]["queryPerson"],
        json!([{"name": "Ada", "age": null}, {"name": "Bob", "age": null}])
    );
    let r = cli.run(
        &["drop", "-e", &endpoint, "-T", "Person", "-y"],
        Duration::from_secs(60),
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(people().await["data"]["queryPerson"], json!([]));
    let r = cli.run(
        &["drop", "-e", &endpoint, "-s", "-y"],
        Duration::from_secs(60),
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout
            .contains("Successfully dropped all data and schema!"),
        "{}",
        r.stdout
    );
    let schema = backend_call("/admin", "{ getGQLSchema { schema } }").await;
    assert!(
        schema["data"]["getGQLSchema"].is_null()
            || schema["data"]["getGQLSchema"]["schema"] == json!(""),
        "{schema}"
    );

    // export-data downloads every signed URL without credentials.
    let body = backend_call(
        "/admin",
        "mutation { updateGQLSchema(input: {set: {schema: \"type Person { id: ID! name: String! age: Int }\"}}) { gqlSchema { schema } } }",
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    let body = backend_call(
        "/graphql",
        "mutation { addPerson(input: [{name: \"Cy\", age: 7}]) { numUids } }",
    )
    .await;
    assert_eq!(body["data"]["addPerson"]["numUids"], 1, "{body}");
    let out_dir = scratch.path().join("export");
    let r = cli.run(
        &[
            "export-data",
            "-e",
            &endpoint,
            "-q",
            out_dir.to_str().unwrap(),
        ],
        Duration::from_secs(60),
    );
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    let mut exported = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::MultiGzDecoder::new(
            &std::fs::read(out_dir.join("g01.json.gz")).expect("g01.json.gz downloaded")[..],
        ),
        &mut exported,
    )
    .unwrap();
    assert!(exported.contains("\"Person.name\":\"Cy\""), "{exported}");
    assert!(out_dir.join("g01.schema.gz").exists() && out_dir.join("g01.gql_schema.gz").exists());

    // drop -l / -u: after a schema change, the data of the removed field is unused.
    let body = backend_call(
        "/admin",
        "mutation { updateGQLSchema(input: {set: {schema: \"type Person { id: ID! name: String! }\"}}) { gqlSchema { schema } } }",
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    let r = cli.run(&["drop", "-e", &endpoint, "-l"], Duration::from_secs(60));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let row = r
        .stdout
        .lines()
        .find(|l| l.contains("Person.age"))
        .unwrap_or_else(|| panic!("Person.age not listed as unused: {}", r.stdout));
    assert!(row.contains("field"), "{row}");
    let r = cli.run(
        &["drop", "-e", &endpoint, "-u", "-y"],
        Duration::from_secs(60),
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout
            .contains("Successfully dropped listed types/fields"),
        "{}",
        r.stdout
    );
    let r = cli.run(&["drop", "-e", &endpoint, "-l"], Duration::from_secs(60));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.contains("There are no unused types or fields"),
        "{}",
        r.stdout
    );

    // destroy-backend with its confirm flag.
    let r = cli.run(&["destroy-backend", &uid, "-y"], Duration::from_secs(60));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("Deleted"), "{}", r.stdout);
    assert_eq!(deployments(&cp, &token).await, Vec::<Value>::new());

    // Destroying it again fails with the server's error shown and a non-zero exit.
    let r = cli.run(&["destroy-backend", &uid, "-y"], Duration::from_secs(60));
    assert_ne!(r.code, Some(0), "{}", r.stdout);
    assert!(
        r.stderr.contains("Unable to destroy backend"),
        "{}",
        r.stderr
    );

    // logout revokes the refresh token and removes the token file.
    let r = cli.run(&["logout"], Duration::from_secs(60));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("Logged out"), "{}", r.stdout);
    assert!(!cli.auth_file().exists(), "logout removes the token file");

    // Logged out: commands that need a session refuse.
    let r = cli.run(&["list-backends"], Duration::from_secs(60));
    assert_ne!(r.code, Some(0), "{}", r.stdout);
    assert!(r.stderr.contains("Please login"), "{}", r.stderr);

    // logout -a: log in on two "devices" (two sessions), then revoke every CLI session.
    device_login(&cli, &server, &token).await;
    let first_session = std::fs::read_to_string(cli.auth_file()).unwrap();
    device_login(&cli, &server, &token).await;
    let r = cli.run(&["logout", "-a"], Duration::from_secs(60));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let count: u64 = r
        .stdout
        .trim()
        .strip_prefix("Logged out of ")
        .and_then(|rest| rest.strip_suffix(" devices"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected logout -a output: {}", r.stdout));
    assert!(count >= 2, "both sessions revoked: {}", r.stdout);
    assert!(!cli.auth_file().exists());
    // The first session's refresh token is dead too.
    std::fs::write(cli.auth_file(), &first_session).unwrap();
    let r = cli.run(&["refresh-login"], Duration::from_secs(60));
    assert!(
        r.stderr.contains("Could not refresh token"),
        "a revoked refresh token must not refresh: {}",
        r.stderr
    );
}
