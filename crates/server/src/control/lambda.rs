//! Lambda scripts through the control plane: `updateLambda`, `getLambdaLogs`, and the
//! `lambdaScript` of `deployments`, `createDeployment`, `updateDeployment` and
//! `PATCH /deployment/{uid}`. The control plane checks who may act on which deployment;
//! the script itself is stored by the backend side (in the deployment's graph key range).

use graphcloud_control::model::NewDeployment;
use graphcloud_control::{Actor, ControlError, ControlPlane, Deployment};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::backend::BackendState;
use crate::control::wire::UpdateDeploymentIn;

/// Text returned by `updateLambda` (spec §2.7).
pub const LAMBDA_UPDATED_TEXT: &str = "Successfully added the lambda function";

fn internal(e: String) -> ControlError {
    ControlError::Internal(e)
}

/// Fills `lambdaScript` of each deployment from the backend side.
pub(crate) async fn fill_scripts(
    backends: &BackendState,
    list: &mut [Deployment],
) -> Result<(), ControlError> {
    for d in list {
        d.lambda_script = backends.lambda_script(d.id).await.map_err(internal)?;
    }
    Ok(())
}

/// `createDeployment` / `POST /deployments/create` with an optional script: the script is
/// checked before anything is created.
pub(crate) async fn create(
    cp: &ControlPlane,
    backends: &BackendState,
    actor: &Actor,
    mut new: NewDeployment,
) -> Result<Deployment, ControlError> {
    let script = new.lambda_script.take().filter(|s| !s.trim().is_empty());
    if let Some(s) = &script {
        backends
            .check_lambda_script(s)
            .await
            .map_err(ControlError::Invalid)?;
    }
    let mut d = cp.create_deployment(actor, new).await?;
    if let Some(s) = script {
        backends
            .set_lambda_script(d.id, &s)
            .await
            .map_err(internal)?;
        d.lambda_script = s.split_whitespace().collect();
    }
    Ok(d)
}

/// `updateDeployment` / `PATCH /deployment/{uid}`: everything that can be refused (a
/// backup schedule out of range, a script that does not compile, a deployment the actor may
/// not manage) is checked before any change is made; then the deployment's own fields, its
/// backup schedule and its script are stored, in that order.
pub(crate) async fn update(
    cp: &ControlPlane,
    backends: &BackendState,
    actor: &Actor,
    reference: &str,
    mut input: UpdateDeploymentIn,
) -> Result<Deployment, ControlError> {
    let schedule = input.backup_schedule.take().map(|s| s.into_model());
    let mut update = input.into_model();
    if let Some(s) = &schedule {
        s.check()?;
    }
    let script = update.lambda_script.take();
    if let Some(s) = &script {
        // Resolve (and authorize) first so a foreign uid never reaches the script check.
        cp.get_deployment(actor, reference).await?;
        backends
            .check_lambda_script(s)
            .await
            .map_err(ControlError::Invalid)?;
    }
    let d = cp.update_deployment(actor, reference, update).await?;
    if let Some(s) = schedule {
        cp.set_backup_schedule(actor, &d.uid, s).await?;
    }
    if let Some(s) = script {
        backends
            .set_lambda_script(d.id, &s)
            .await
            .map_err(ControlError::Invalid)?;
    }
    Ok(d)
}

/// `updateLambda(input: {deploymentID, tenantID, lambdaScript})`.
pub(crate) async fn update_lambda(
    cp: &ControlPlane,
    backends: &BackendState,
    actor: &Actor,
    deployment: &str,
    script: &str,
) -> Result<(), ControlError> {
    let d = cp.get_deployment(actor, deployment).await?;
    backends
        .set_lambda_script(d.id, script)
        .await
        .map_err(ControlError::Invalid)
}

fn parse_time(name: &str, v: Option<&str>) -> Result<Option<OffsetDateTime>, ControlError> {
    let Some(s) = v.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(Some(t));
    }
    // Unix seconds or milliseconds.
    if let Ok(n) = s.parse::<i64>() {
        let secs = if n.abs() > 100_000_000_000 {
            n / 1000
        } else {
            n
        };
        if let Ok(t) = OffsetDateTime::from_unix_timestamp(secs) {
            return Ok(Some(t));
        }
    }
    Err(ControlError::Invalid(format!(
        "invalid {name} {s:?}: expected an ISO-8601 time such as 2021-04-16T18:00:00.000Z"
    )))
}

/// `getLambdaLogs(input: {deploymentID, tenantID, start, end})`: lines of the window
/// (default: the last hour), oldest first; `[]` when none.
pub(crate) async fn logs(
    cp: &ControlPlane,
    backends: &BackendState,
    actor: &Actor,
    deployment: &str,
    start: Option<&str>,
    end: Option<&str>,
) -> Result<Vec<String>, ControlError> {
    let d = cp.get_deployment(actor, deployment).await?;
    let end = parse_time("end", end)?;
    let start = parse_time("start", start)?
        .or_else(|| Some(end.unwrap_or_else(OffsetDateTime::now_utc) - time::Duration::hours(1)));
    Ok(backends.lambda_logs(d.id, start, end))
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn times() {
        let t = parse_time("start", Some("2021-04-16T18:00:00.000Z"))
            .unwrap()
            .unwrap();
        assert_eq!(t.unix_timestamp(), 1_618_596_000);
        assert_eq!(
            parse_time("start", Some("1618596000000"))
                .unwrap()
                .unwrap()
                .unix_timestamp(),
            1_618_596_000
        );
        assert!(parse_time("start", None).unwrap().is_none());
        assert!(parse_time("start", Some("yesterday")).is_err());
    }
}
