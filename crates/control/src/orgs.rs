//! Organizations: creators and members share the organization's deployments.

use crate::error::{ControlError, Result};
use crate::model::*;
use crate::store::{OrgRow, UserRow};
use crate::{ControlPlane, now_ms};

fn member(u: &UserRow) -> Member {
    Member {
        user_id: u.id.clone(),
        name: u.name.clone(),
        email: u.email.clone(),
    }
}

impl ControlPlane {
    async fn to_org(&self, o: &OrgRow) -> Result<Organization> {
        let members: Vec<Member> = self
            .inner
            .store
            .org_members(o.id)
            .await?
            .iter()
            .map(member)
            .collect();
        let created_by = match self.inner.store.user_by_id(&o.created_by).await? {
            Some(u) => member(&u),
            None => Member {
                user_id: o.created_by.clone(),
                name: String::new(),
                email: String::new(),
            },
        };
        Ok(Organization {
            uid: format_uid(o.id),
            name: o.name.clone(),
            created_by,
            members,
        })
    }

    /// An organization the actor belongs to.
    async fn member_org(&self, actor: &Actor, org_uid: &str) -> Result<OrgRow> {
        let not_found =
            || ControlError::NotFound(format!("organization {} not found", org_uid.trim()));
        let id = parse_uid(org_uid).ok_or_else(not_found)?;
        let org = self
            .inner
            .store
            .org_by_id(id)
            .await?
            .ok_or_else(not_found)?;
        if !self.inner.store.is_org_member(id, &actor.user_id).await? {
            return Err(not_found());
        }
        Ok(org)
    }

    /// Creates an organization; the actor becomes its creator and first member.
    pub async fn create_organization(&self, actor: &Actor, name: &str) -> Result<Organization> {
        let name = name.trim();
        if name.is_empty() {
            return Err(ControlError::Invalid(
                "the organization name must not be empty".into(),
            ));
        }
        if name.chars().count() > 100 {
            return Err(ControlError::Invalid(
                "the organization name must be at most 100 characters long".into(),
            ));
        }
        let row = OrgRow {
            id: self.inner.store.next_id("organization").await?,
            name: name.to_string(),
            created_by: actor.user_id.clone(),
            created_at: now_ms(),
        };
        self.inner.store.insert_org(&row).await?;
        self.to_org(&row).await
    }

    /// Organizations the actor is a member of.
    pub async fn list_organizations(&self, actor: &Actor) -> Result<Vec<Organization>> {
        let mut out = Vec::new();
        for o in self.inner.store.orgs_of_member(&actor.user_id).await? {
            out.push(self.to_org(&o).await?);
        }
        Ok(out)
    }

    /// One organization the actor is a member of.
    pub async fn get_organization(&self, actor: &Actor, org_uid: &str) -> Result<Organization> {
        let o = self.member_org(actor, org_uid).await?;
        self.to_org(&o).await
    }

    /// Adds a user (by email) to an organization the actor belongs to.
    pub async fn add_organization_member(
        &self,
        actor: &Actor,
        org_uid: &str,
        email: &str,
    ) -> Result<Organization> {
        let org = self.member_org(actor, org_uid).await?;
        let email = normalize_email(email)?;
        let user = self
            .inner
            .store
            .user_by_email(&email)
            .await?
            .ok_or_else(|| ControlError::NotFound(format!("no user with email {email}")))?;
        if !self
            .inner
            .store
            .add_org_member(org.id, &user.id, now_ms())
            .await?
        {
            return Err(ControlError::Conflict(format!(
                "{email} is already a member of this organization"
            )));
        }
        self.to_org(&org).await
    }

    /// Removes a member (by email). The creator cannot be removed.
    pub async fn remove_organization_member(
        &self,
        actor: &Actor,
        org_uid: &str,
        email: &str,
    ) -> Result<Organization> {
        let org = self.member_org(actor, org_uid).await?;
        let email = normalize_email(email)?;
        let not_member =
            || ControlError::NotFound(format!("{email} is not a member of this organization"));
        let user = self
            .inner
            .store
            .user_by_email(&email)
            .await?
            .ok_or_else(not_member)?;
        if user.id == org.created_by {
            return Err(ControlError::Forbidden(
                "the creator of an organization cannot be removed from it".into(),
            ));
        }
        if !self.inner.store.remove_org_member(org.id, &user.id).await? {
            return Err(not_member());
        }
        self.to_org(&org).await
    }
}
