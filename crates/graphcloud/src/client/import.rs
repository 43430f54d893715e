//! `graphcloud import BACKEND PATH…`: loads a Dgraph export (ours or Dgraph's: `g01.json.gz`,
//! `g01.rdf.gz`, plain `.json`/`.rdf`, plus `g01.gql_schema.gz` for the GraphQL schema)
//! into a backend through its `POST /admin/import`, all or nothing, with a progress bar.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

use super::ClientOpts;
use super::backend::resolve;
use super::output::{OutputFormat, print_json, text};
use super::session::authenticated;

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub opts: ClientOpts,
    /// The backend: uid (0x…), subdomain or URL.
    pub backend: String,
    /// Export files or directories. A directory contributes its `*.json[.gz]`,
    /// `*.rdf[.gz]` data files and its `*gql_schema*` file; DQL schema files
    /// (`*.schema.gz`) are skipped (the GraphQL schema defines the predicates).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Do not apply the export's GraphQL schema; the backend's own schema must then
    /// declare every predicate of the data.
    #[arg(long)]
    pub no_schema: bool,
    /// Base URL of the backend (e.g. https://app.example.com); by default the backend's
    /// URL with the control plane's scheme (`*.localhost` names are sent to 127.0.0.1).
    #[arg(long, value_name = "URL")]
    pub backend_url: Option<String>,
}

/// What a path is for.
#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Data,
    GraphQLSchema,
    Skip,
}

fn kind_of(path: &Path) -> Kind {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let base = name.strip_suffix(".gz").unwrap_or(&name);
    if base.contains("gql_schema") {
        Kind::GraphQLSchema
    } else if base.ends_with(".schema") {
        Kind::Skip
    } else if base.ends_with(".json") || base.ends_with(".rdf") || base.ends_with(".nq") {
        Kind::Data
    } else {
        Kind::Skip
    }
}

/// The files named by `paths` (directories expanded, sorted), as (data, schema file).
fn collect(paths: &[PathBuf]) -> Result<(Vec<PathBuf>, Option<PathBuf>)> {
    let mut data = Vec::new();
    let mut schema: Option<PathBuf> = None;
    for p in paths {
        let meta = std::fs::metadata(p).with_context(|| format!("cannot read {}", p.display()))?;
        let mut files = Vec::new();
        if meta.is_dir() {
            for e in std::fs::read_dir(p).with_context(|| format!("cannot list {}", p.display()))? {
                let e = e?;
                if e.file_type()?.is_file() {
                    files.push(e.path());
                }
            }
            files.sort();
        } else {
            files.push(p.clone());
        }
        for f in files {
            match kind_of(&f) {
                Kind::Data => data.push(f),
                Kind::GraphQLSchema => {
                    if let Some(prev) = &schema {
                        bail!(
                            "two GraphQL schema files: {} and {}",
                            prev.display(),
                            f.display()
                        );
                    }
                    schema = Some(f);
                }
                Kind::Skip if meta.is_dir() => {}
                Kind::Skip => bail!(
                    "{}: not an export file (expected .json, .rdf, optionally .gz, or a *gql_schema* file)",
                    f.display()
                ),
            }
        }
    }
    if data.is_empty() {
        bail!("no data files (.json, .rdf, .json.gz, .rdf.gz) among the given paths");
    }
    Ok((data, schema))
}

fn read_text(path: &Path) -> Result<String> {
    use std::io::Read;
    let raw = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut s = String::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_string(&mut s)
            .with_context(|| format!("{}: not a readable gzip text file", path.display()))?;
        Ok(s)
    } else {
        String::from_utf8(raw).with_context(|| format!("{}: not UTF-8 text", path.display()))
    }
}

/// `scheme://host[:port]` of the backend and a client that reaches it.
fn backend_client(args: &ImportArgs, server: &str, url: &str) -> Result<(String, reqwest::Client)> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("graphcloud-cli/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = &args.opts.ca_cert {
        let pem = std::fs::read(path)
            .with_context(|| format!("cannot read --ca-cert {}", path.display()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .ok()
            .filter(|c| !c.is_empty())
            .with_context(|| format!("--ca-cert {} holds no PEM certificate", path.display()))?;
        builder = builder.tls_certs_merge(certs);
    }
    let base = match &args.backend_url {
        Some(b) => b.trim().trim_end_matches('/').to_string(),
        None => {
            let scheme = server.split("://").next().unwrap_or("http");
            let host = url.split(':').next().unwrap_or_default();
            if host.ends_with(".localhost") {
                let port = url
                    .rsplit_once(':')
                    .and_then(|(_, p)| p.parse::<u16>().ok())
                    .unwrap_or(if scheme == "https" { 443 } else { 80 });
                builder = builder.resolve(host, std::net::SocketAddr::from(([127, 0, 0, 1], port)));
            }
            format!("{scheme}://{url}")
        }
    };
    Ok((
        base,
        builder.build().context("cannot build the HTTP client")?,
    ))
}

pub async fn run(args: ImportArgs) -> Result<()> {
    let api = authenticated(&args.opts)?;
    let found = resolve(&api, &args.backend).await?;
    let (uid, url, token) = (
        text(&found, "uid"),
        text(&found, "url"),
        text(&found, "jwtToken"),
    );
    let (data_files, schema_file) = collect(&args.paths)?;
    let (base, http) = backend_client(&args, api.server(), &url)?;

    let total: u64 = data_files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    let quiet = args.opts.output == OutputFormat::Json;
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total)
    };
    bar.set_style(
        ProgressStyle::with_template("{msg:24} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec})")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_message("reading files");
    let mut files = Vec::new();
    for f in &data_files {
        let raw = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
        bar.inc(raw.len() as u64);
        let name = f
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("data")
            .to_string();
        files.push(json!({
            "name": name,
            "data": base64::engine::general_purpose::STANDARD.encode(raw),
        }));
    }
    let mut envelope = json!({ "files": files });
    if let Some(s) = &schema_file
        && !args.no_schema
    {
        envelope["schema"] = json!(read_text(s)?);
    }
    let body = serde_json::to_vec(&envelope)?;
    drop(envelope);
    // Upload with progress, then wait for the server's all-or-nothing write.
    bar.set_length(body.len() as u64);
    bar.set_position(0);
    bar.set_message("uploading");
    let chunks: Vec<bytes::Bytes> = body
        .chunks(256 * 1024)
        .map(bytes::Bytes::copy_from_slice)
        .collect();
    drop(body);
    let up = bar.clone();
    let stream = futures::stream::iter(chunks.into_iter().map(move |c| {
        up.inc(c.len() as u64);
        Ok::<_, std::io::Error>(c)
    }));
    let started = Instant::now();
    let request = http
        .post(format!("{base}/admin/import"))
        .header("X-Auth-Token", &token)
        .header("Content-Type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send();
    let waiting = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        loop {
            if bar.position() >= bar.length().unwrap_or(0) {
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                        .expect("a valid template"),
                );
                bar.set_message("importing on the server");
                bar.enable_steady_tick(Duration::from_millis(120));
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        std::future::pending::<()>().await
    };
    let response = tokio::select! {
        r = request => r,
        _ = waiting => unreachable!("the spinner never finishes"),
    };
    bar.finish_and_clear();
    let response = response.with_context(|| format!("cannot reach backend {uid} at {base}"))?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .with_context(|| format!("backend {uid} answered HTTP {status} without JSON"))?;
    if !status.is_success() {
        let msg = body["errors"][0]["message"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| body.to_string());
        bail!("the import into backend {uid} failed; nothing was written: {msg}");
    }
    let secs = started.elapsed().as_secs_f64();
    let edges = body["edges"].as_u64().unwrap_or(0);
    let rate = if secs > 0.0 { edges as f64 / secs } else { 0.0 };
    match args.opts.output {
        OutputFormat::Json => print_json(&json!({
            "uid": uid,
            "nodes": body["nodes"],
            "edges": edges,
            "schemaApplied": body["schemaApplied"],
            "seconds": secs,
            "edgesPerSecond": rate.round(),
        })),
        OutputFormat::Table => {
            println!(
                "Imported {edges} edges on {} nodes into backend {uid} in {secs:.2} s ({:.0} edges/s){}.",
                body["nodes"],
                rate,
                if body["schemaApplied"] == true {
                    ", with the export's GraphQL schema"
                } else {
                    ""
                }
            );
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_file_kinds() {
        for (name, want) in [
            ("g01.json.gz", Kind::Data),
            ("g01.rdf.gz", Kind::Data),
            ("people.rdf", Kind::Data),
            ("data.JSON", Kind::Data),
            ("g01.gql_schema.gz", Kind::GraphQLSchema),
            ("g01.schema.gz", Kind::Skip),
            ("notes.txt", Kind::Skip),
        ] {
            assert_eq!(kind_of(Path::new(name)), want, "{name}");
        }
    }
}
