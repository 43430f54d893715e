//! Shared harness for the black-box tests of the `graphcloud` binary: creates users, starts
//! `graphcloud serve` on ephemeral ports over a temporary data dir, runs client commands
//! with an isolated configuration directory, and talks to the control plane directly to
//! check what the commands did.

#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const BIN: &str = env!("CARGO_BIN_EXE_graphcloud");

/// Environment variables of the binary that must not leak from the caller's shell.
const SCRUBBED_ENV: &[&str] = &[
    "GRAPHCLOUD_SERVER",
    "GRAPHCLOUD_OUTPUT",
    "GRAPHCLOUD_CONFIG_DIR",
    "GRAPHCLOUD_EMAIL",
    "GRAPHCLOUD_PASSWORD",
    "GRAPHCLOUD_DATA_DIR",
    "GRAPHCLOUD_CONTROL_ADDR",
    "GRAPHCLOUD_BACKEND_ADDR",
    "GRAPHCLOUD_BASE_DOMAIN",
    "GRAPHCLOUD_DATABASE_URL",
    "GRAPHCLOUD_TLS_CERT",
    "GRAPHCLOUD_TLS_KEY",
    "GRAPHCLOUD_CONTROL_TLS_CERT",
    "GRAPHCLOUD_CONTROL_TLS_KEY",
    "GRAPHCLOUD_LOG_FORMAT",
    "GRAPHCLOUD_JWT_SECRET",
];

/// A fresh `Command` for the binary with a scrubbed environment.
pub fn command() -> Command {
    let mut cmd = Command::new(BIN);
    for var in SCRUBBED_ENV {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null());
    cmd
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind an ephemeral port")
        .local_addr()
        .unwrap()
        .port()
}

/// `graphcloud user create --data-dir D --email E` with the password in the environment.
pub fn create_user(data_dir: &Path, email: &str, password: &str) {
    let out = command()
        .args(["user", "create", "--data-dir"])
        .arg(data_dir)
        .args(["--email", email])
        .env("GRAPHCLOUD_PASSWORD", password)
        .output()
        .expect("run graphcloud user create");
    assert!(
        out.status.success(),
        "user create failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A running `graphcloud serve`, killed when dropped.
pub struct Server {
    child: Child,
    pub dir: tempfile::TempDir,
    pub data_dir: PathBuf,
    pub control_port: u16,
    pub backend_port: u16,
    log: PathBuf,
}

pub const EMAIL: &str = "alice@example.com";
pub const PASSWORD: &str = "correct horse battery staple";

impl Server {
    /// A server over a new data dir holding one user (`EMAIL` / `PASSWORD`).
    pub fn start() -> Self {
        Self::start_with(&[(EMAIL, PASSWORD)], &[], None)
    }

    /// A server with the given users, extra `serve` flags, and optionally a fixed control
    /// port.
    pub fn start_with(users: &[(&str, &str)], extra: &[String], control_port: Option<u16>) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let data_dir = dir.path().join("data");
        for (email, password) in users {
            create_user(&data_dir, email, password);
        }
        let log = dir.path().join("serve.log");
        // Ports picked by binding :0 can be taken by someone else before the server binds
        // them; try again with new ports when that happens.
        let mut last_log = String::new();
        for _ in 0..5 {
            let control = control_port.unwrap_or_else(free_port);
            let backend = free_port();
            let log_file = std::fs::File::create(&log).unwrap();
            let mut child = command()
                .arg("serve")
                .arg("--data-dir")
                .arg(&data_dir)
                .args(["--control-addr", &format!("127.0.0.1:{control}")])
                .args(["--backend-addr", &format!("127.0.0.1:{backend}")])
                .args(["--base-domain", "localhost"])
                .args(extra)
                .stdout(log_file.try_clone().unwrap())
                .stderr(log_file)
                .spawn()
                .expect("spawn graphcloud serve");
            if wait_ready(&mut child, control, backend, Duration::from_secs(60)) {
                return Server {
                    child,
                    dir,
                    data_dir,
                    control_port: control,
                    backend_port: backend,
                    log,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
            last_log = std::fs::read_to_string(&log).unwrap_or_default();
            if !last_log.to_lowercase().contains("in use") {
                break;
            }
        }
        panic!("graphcloud serve did not come up; its log:\n{last_log}");
    }

    /// `http://127.0.0.1:<control port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.control_port)
    }

    /// The server's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A fresh, empty configuration home for client commands.
    pub fn config_home(&self, name: &str) -> PathBuf {
        let p = self.dir.path().join(format!("config-{name}"));
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    /// Runs a client command against this server with `XDG_CONFIG_HOME=home`.
    pub fn run(&self, home: &Path, args: &[&str]) -> Run {
        self.run_env(home, args, &[])
    }

    pub fn run_env(&self, home: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = command();
        cmd.args(args)
            .env("XDG_CONFIG_HOME", home)
            .env("HOME", home)
            .env("GRAPHCLOUD_SERVER", self.url());
        for (k, v) in env {
            cmd.env(k, v);
        }
        Run::from(cmd.output().expect("run graphcloud"), args)
    }

    /// `graphcloud login` as `EMAIL` into `home`; panics on failure.
    pub fn login(&self, home: &Path) {
        let r = self.run_env(
            home,
            &["login", "--email", EMAIL],
            &[("GRAPHCLOUD_PASSWORD", PASSWORD)],
        );
        r.ok();
    }
}

fn wait_ready(child: &mut Child, control: u16, backend: u16, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        let up = |port| TcpStream::connect(("127.0.0.1", port)).is_ok();
        if up(control) && up(backend) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The result of one client command.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub args: String,
}

impl Run {
    fn from(out: Output, args: &[&str]) -> Self {
        Self {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            args: args.join(" "),
        }
    }

    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(
            self.code,
            Some(0),
            "`graphcloud {}` failed\nstdout:\n{}\nstderr:\n{}",
            self.args,
            self.stdout,
            self.stderr
        );
        &self.stdout
    }

    /// Asserts failure with the given exit code, nothing on stdout, and returns stderr.
    #[track_caller]
    pub fn fails(&self, code: i32) -> &str {
        assert_eq!(
            self.code,
            Some(code),
            "`graphcloud {}` should have exited with {code}\nstdout:\n{}\nstderr:\n{}",
            self.args,
            self.stdout,
            self.stderr
        );
        assert!(
            self.stdout.trim().is_empty(),
            "a failing command printed to stdout: {}",
            self.stdout
        );
        assert!(
            !self.stderr.trim().is_empty(),
            "a failing command printed no error"
        );
        &self.stderr
    }

    /// Parses stdout as JSON (after asserting success).
    #[track_caller]
    pub fn json(&self) -> Value {
        let out = self.ok();
        serde_json::from_str(out).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{out}"))
    }
}

/// POSTs one GraphQL operation to the control plane and returns the whole response.
pub async fn control_graphql(
    server_url: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Value {
    let client = reqwest::Client::new();
    let mut req = client
        .post(format!("{server_url}/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.expect("control-plane request");
    assert_eq!(
        resp.status().as_u16(),
        200,
        "control-plane GraphQL must answer 200"
    );
    resp.json().await.expect("control-plane JSON")
}

/// Logs in through the control-plane GraphQL `login` query and returns the session token.
pub async fn session_token(server_url: &str, email: &str, password: &str) -> String {
    let v = control_graphql(
        server_url,
        None,
        "query($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
        json!({ "e": email, "p": password }),
    )
    .await;
    v.pointer("/data/login/token")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("login failed: {v}"))
        .to_string()
}

/// The caller's deployments as the control plane lists them.
pub async fn deployments(server_url: &str, token: &str) -> Vec<Value> {
    let v = control_graphql(
        server_url,
        Some(token),
        "{ deployments { uid name url subdomain deploymentMode jwtToken } }",
        json!({}),
    )
    .await;
    v.pointer("/data/deployments")
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("deployments failed: {v}"))
        .clone()
}

/// A throw-away CA and a server certificate it signed for `names` (DNS names or IP
/// addresses). Writes and returns (ca.pem, cert.pem, key.pem) in `dir`.
pub fn make_certificates(dir: &Path, names: &[String]) -> (PathBuf, PathBuf, PathBuf) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };
    let now = time::OffsetDateTime::now_utc();

    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "graphcloud test CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params.not_before = now - time::Duration::days(1);
    ca_params.not_after = now + time::Duration::days(2);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf_params = CertificateParams::new(names.to_vec()).unwrap();
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, names.first().map_or("localhost", |n| n));
    leaf_params.use_authority_key_identifier_extension = true;
    leaf_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf_params.not_before = now - time::Duration::days(1);
    leaf_params.not_after = now + time::Duration::days(2);
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();

    let ca = dir.join("ca.pem");
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&ca, ca_cert.pem()).unwrap();
    std::fs::write(&cert, leaf.pem()).unwrap();
    std::fs::write(&key, leaf_key.serialize_pem()).unwrap();
    (ca, cert, key)
}

impl Server {
    /// Kills the server with SIGKILL (no graceful shutdown) and starts it again on the same
    /// data dir and ports.
    pub fn kill_and_restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let log_file = std::fs::File::create(&self.log).unwrap();
        let (control, backend) = (self.control_port, self.backend_port);
        let mut child = command()
            .arg("serve")
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(["--control-addr", &format!("127.0.0.1:{control}")])
            .args(["--backend-addr", &format!("127.0.0.1:{backend}")])
            .args(["--base-domain", "localhost"])
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .expect("spawn graphcloud serve");
        assert!(
            wait_ready(&mut child, control, backend, Duration::from_secs(60)),
            "graphcloud serve did not come back; its log:\n{}",
            self.log()
        );
        self.child = child;
    }
}
