//! Connects the engine's `@lambda` hooks to the JavaScript sandboxes: resolver calls and
//! webhooks go to [`Lambdas`], and a script's `graphql()` comes back into the engine.

use std::sync::Arc;

use graphcloud_engine::lambda::{LambdaCall, LambdaExecutor};
use graphcloud_engine::{Access, Caller, Request, WeakEngine};
use graphcloud_lambda::{Call, GraphqlCall, Host, Lambdas, Level};

pub(crate) struct Glue {
    pub lambdas: Lambdas,
    pub engine: WeakEngine,
}

impl LambdaExecutor for Glue {
    fn resolve(&self, c: LambdaCall<'_>) -> Result<serde_json::Value, String> {
        self.lambdas
            .call(Call {
                backend: c.backend,
                version: c.version,
                source: c.source,
                request: c.request,
                auth: c.auth,
                depth: c.depth,
                read_only: c.read_only,
            })
            .map_err(|e| e.to_string())
    }

    fn webhook(&self, backend: u64, request: serde_json::Value) {
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let lambdas = self.lambdas.clone();
        let engine = self.engine.clone();
        handle.spawn_blocking(move || {
            let Some(engine) = engine.upgrade() else {
                return;
            };
            let name = format!(
                "{}.{}",
                request["event"]["__typename"].as_str().unwrap_or(""),
                request["event"]["operation"].as_str().unwrap_or("")
            );
            let script = match engine.lambda_script(backend) {
                Ok(Some(s)) if !s.source.is_empty() => s,
                Ok(_) => return,
                Err(e) => {
                    tracing::warn!(backend, error = %e, "webhook: reading the lambda script failed");
                    return;
                }
            };
            let src = script.source;
            let source = move || Some(src.clone());
            let auth = request.get("authHeader").map(|a| {
                (
                    a["key"].as_str().unwrap_or("").to_string(),
                    a["value"].as_str().unwrap_or("").to_string(),
                )
            });
            if let Err(e) = lambdas.call(Call {
                backend,
                version: script.version,
                source: &source,
                request: &request,
                auth,
                depth: 0,
                read_only: false,
            }) {
                lambdas
                    .logs(backend)
                    .push(Level::Error, format!("webhook {name} failed: {e}"));
            }
        });
    }
}

impl Host for Glue {
    fn graphql(&self, c: GraphqlCall) -> Result<serde_json::Value, String> {
        let engine = self
            .engine
            .upgrade()
            .ok_or_else(|| "the server is shutting down".to_string())?;
        let variables = match c.variables {
            serde_json::Value::Object(m) => m,
            serde_json::Value::Null => serde_json::Map::new(),
            _ => return Err("graphql(): variables must be an object".into()),
        };
        let req = Request {
            query: c.query,
            operation_name: None,
            variables,
        };
        // Scripts are the deployment owner's code: they act with a client key's rights.
        let caller = Caller {
            access: Access::Client,
            read_only: c.read_only,
        };
        Ok(engine
            .lambda_graphql(c.backend, caller, &req, c.auth, c.depth)
            .to_json())
    }
}

/// Builds the glue and plugs it into both sides.
pub(crate) fn connect(engine: &graphcloud_engine::Engine, lambdas: &Lambdas) {
    let glue = Arc::new(Glue {
        lambdas: lambdas.clone(),
        engine: engine.downgrade(),
    });
    engine.set_lambda_executor(glue.clone());
    lambdas.set_host(glue);
}
