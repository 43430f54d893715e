//! `graphcloud serve` as a process: plain log lines, without terminal colour codes, when its
//! log output is a pipe or a file (colour is for terminals only), and the graph store's
//! page-cache flag.

mod common;

use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;

/// Reads the child's stderr pipe until `needle` appears (or 60 s pass), then stops the child.
fn serve_into_pipe(extra_env: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = command();
    cmd.arg("serve")
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args([
            "--control-addr",
            "127.0.0.1:0",
            "--backend-addr",
            "127.0.0.1:0",
        ])
        .env_remove("NO_COLOR")
        .env_remove("GRAPHCLOUD_LOG_FORMAT")
        .env_remove("GRAPHCLOUD_LOG")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn graphcloud serve");
    let mut stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline && !String::from_utf8_lossy(&out).contains("serving") {
        if let Ok(chunk) = rx.recv_timeout(Duration::from_millis(200)) {
            out.extend(chunk);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    while let Ok(chunk) = rx.recv_timeout(Duration::from_millis(200)) {
        out.extend(chunk);
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn no_colour_codes_in_a_pipe() {
    let log = serve_into_pipe(&[]);
    assert!(log.contains("INFO"), "{log}");
    assert!(log.contains("graphcloud is serving"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "escape bytes in piped logs: {log:?}"
    );
}

#[test]
fn no_colour_codes_in_a_log_file() {
    let server = Server::start();
    // The listeners accept before the startup lines are written: wait for them.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut log = server.log();
    while !log.contains("graphcloud is serving") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        log = server.log();
    }
    assert!(log.contains("INFO"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "escape bytes in the log file: {log:?}"
    );
}

#[test]
fn cache_size_flag_and_env() {
    let log = serve_into_pipe(&[]);
    assert!(log.contains("graph_cache_mb=256"), "the default: {log}");
    let log = serve_into_pipe(&[("GRAPHCLOUD_CACHE_SIZE_MB", "64")]);
    assert!(log.contains("graph_cache_mb=64"), "{log}");
    let out = command()
        .args(["serve", "--cache-size-mb", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("invalid value '0' for '--cache-size-mb"),
        "{err}"
    );
}
