//! `graphcloud org list|create|add-member|remove-member`.

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::ClientOpts;
use super::api::ControlApi;
use super::output::{OutputFormat, Table, cell, print_json, render_fields, text};
use super::session::authenticated;

#[derive(Debug, Args)]
pub struct OrgArgs {
    #[command(flatten)]
    pub opts: ClientOpts,
    #[command(subcommand)]
    pub command: OrgCommand,
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// List the organizations you created or belong to, with their members.
    List,
    /// Create an organization; you become its creator and first member.
    Create {
        /// Name of the organization.
        name: String,
    },
    /// Add a user (by e-mail) to an organization.
    AddMember {
        /// The organization: uid or exact name.
        org: String,
        /// E-mail of an existing user.
        email: String,
    },
    /// Remove a member (by e-mail) from an organization.
    RemoveMember {
        /// The organization: uid or exact name.
        org: String,
        /// E-mail of the member.
        email: String,
    },
}

const LIST: &str = "query Orgs { organizations { uid name \
    createdBy { auth0User { name email id } } members { uid auth0User { name email } } } }";
const CREATE: &str = "mutation CreateOrg($name: String!) { createOrganization(input: { name: $name }) { uid name } }";
const ADD: &str = "mutation AddMember($org: String!, $email: String!) { \
    addOrganizationMember(input: { organizationUID: $org, email: $email }) { uid name } }";
const REMOVE: &str = "mutation RemoveMember($org: String!, $email: String!) { \
    deleteOrganizationMember(input: { organizationUID: $org, memberEmail: $email }) { uid name } }";

pub async fn run(args: OrgArgs) -> Result<()> {
    let api = authenticated(&args.opts)?;
    let out = args.opts.output;
    match args.command {
        OrgCommand::List => {
            let orgs = list_all(&api).await?;
            match out {
                OutputFormat::Json => print_json(&Value::Array(orgs)),
                OutputFormat::Table => {
                    if orgs.is_empty() {
                        println!("No organizations. Create one with `graphcloud org create NAME`.");
                        return Ok(());
                    }
                    let mut table = Table::new(&["UID", "NAME", "CREATED BY", "MEMBERS"]);
                    for o in &orgs {
                        let creator = o
                            .pointer("/createdBy/auth0User/email")
                            .and_then(Value::as_str)
                            .unwrap_or("-")
                            .to_string();
                        table.row(vec![cell(o, "uid"), cell(o, "name"), creator, members(o)]);
                    }
                    print!("{}", table.render());
                    Ok(())
                }
            }
        }
        OrgCommand::Create { name } => {
            if name.trim().is_empty() {
                bail!("the organization name must not be empty");
            }
            let org = api
                .field(CREATE, json!({ "name": name }), "createOrganization")
                .await
                .map_err(|e| e.context("cannot create the organization"))?;
            print_org(out, "Organization created.", &org)
        }
        OrgCommand::AddMember { org, email } => {
            let uid = resolve(&api, &org).await?;
            let org = api
                .field(
                    ADD,
                    json!({ "org": uid, "email": email }),
                    "addOrganizationMember",
                )
                .await
                .map_err(|e| e.context(format!("cannot add {email} to organization {uid}")))?;
            print_org(out, &format!("Added {email}."), &org)
        }
        OrgCommand::RemoveMember { org, email } => {
            let uid = resolve(&api, &org).await?;
            let org = api
                .field(
                    REMOVE,
                    json!({ "org": uid, "email": email }),
                    "deleteOrganizationMember",
                )
                .await
                .map_err(|e| e.context(format!("cannot remove {email} from organization {uid}")))?;
            print_org(out, &format!("Removed {email}."), &org)
        }
    }
}

fn print_org(out: OutputFormat, headline: &str, org: &Value) -> Result<()> {
    match out {
        OutputFormat::Json => print_json(org),
        OutputFormat::Table => {
            print!(
                "{headline}\n{}",
                render_fields(&[("uid", text(org, "uid")), ("name", text(org, "name"))])
            );
            Ok(())
        }
    }
}

fn members(org: &Value) -> String {
    let emails: Vec<&str> = org
        .get("members")
        .and_then(Value::as_array)
        .map(|ms| {
            ms.iter()
                .filter_map(|m| m.pointer("/auth0User/email").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    if emails.is_empty() {
        "-".to_string()
    } else {
        emails.join(", ")
    }
}

async fn list_all(api: &ControlApi) -> Result<Vec<Value>> {
    let orgs = api
        .field(LIST, json!({}), "organizations")
        .await
        .map_err(|e| e.context("cannot list organizations"))?;
    match orgs {
        Value::Array(items) => Ok(items.into_iter().filter(|v| v.is_object()).collect()),
        other => bail!("the server returned a malformed organization list: {other}"),
    }
}

/// The uid of an organization given by uid or exact name.
async fn resolve(api: &ControlApi, spec: &str) -> Result<String> {
    let orgs = list_all(api).await?;
    pick(&orgs, spec)
}

fn pick(orgs: &[Value], spec: &str) -> Result<String> {
    let spec = spec.trim();
    if let Some(o) = orgs.iter().find(|o| text(o, "uid") == spec) {
        return Ok(text(o, "uid"));
    }
    let named: Vec<&Value> = orgs.iter().filter(|o| text(o, "name") == spec).collect();
    match named.as_slice() {
        [one] => Ok(text(one, "uid")),
        [] => bail!("no organization {spec:?} among yours (`graphcloud org list` shows them)"),
        many => bail!(
            "{} organizations are named {spec:?}; use the uid ({})",
            many.len(),
            many.iter()
                .map(|o| text(o, "uid"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organizations_are_picked_by_uid_or_unique_name() {
        let orgs = vec![
            json!({"uid": "0x1", "name": "Acme"}),
            json!({"uid": "0x2", "name": "Twin"}),
            json!({"uid": "0x3", "name": "Twin"}),
        ];
        assert_eq!(pick(&orgs, "0x2").unwrap(), "0x2");
        assert_eq!(pick(&orgs, "Acme").unwrap(), "0x1");
        let err = pick(&orgs, "Twin").unwrap_err().to_string();
        assert!(err.contains("0x2, 0x3"), "{err}");
        assert!(pick(&orgs, "Nope").is_err());
    }

    #[test]
    fn members_are_listed_by_email() {
        let org = json!({"members": [
            {"uid": "u1", "auth0User": {"email": "a@x.io"}},
            {"uid": "u2", "auth0User": {"email": "b@x.io"}}
        ]});
        assert_eq!(members(&org), "a@x.io, b@x.io");
        assert_eq!(members(&json!({"members": []})), "-");
    }
}
