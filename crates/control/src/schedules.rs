//! Per-deployment backup schedules: full every N hours, incremental every M hours, and how
//! many full backup chains to keep. The server's scheduler reads them all and records each
//! backup it takes; owners set them through `updateDeployment`.

use crate::ControlPlane;
use crate::error::{ControlError, Result};
use crate::model::Actor;
use crate::store::BackupScheduleRow;

/// Longest interval accepted: one year.
const MAX_HOURS: i64 = 24 * 366;

/// A backup schedule. `0` turns a kind off; `retention` 0 keeps every backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupSchedule {
    pub full_every_hours: i64,
    pub incremental_every_hours: i64,
    pub retention: i64,
}

impl BackupSchedule {
    /// Refuses intervals or retention out of range (before any change is made).
    pub fn check(&self) -> Result<()> {
        for (name, v) in [
            ("fullEveryHours", self.full_every_hours),
            ("incrementalEveryHours", self.incremental_every_hours),
        ] {
            if !(0..=MAX_HOURS).contains(&v) {
                return Err(ControlError::Invalid(format!(
                    "{name} must be between 0 (off) and {MAX_HOURS} hours, got {v}"
                )));
            }
        }
        if !(0..=10_000).contains(&self.retention) {
            return Err(ControlError::Invalid(format!(
                "retention must be between 0 (keep all) and 10000 backup chains, got {}",
                self.retention
            )));
        }
        if self.incremental_every_hours > 0 && self.full_every_hours == 0 {
            return Err(ControlError::Invalid(
                "an incremental schedule needs a full one (fullEveryHours > 0)".into(),
            ));
        }
        Ok(())
    }

    fn of(row: &BackupScheduleRow) -> BackupSchedule {
        BackupSchedule {
            full_every_hours: row.full_every_hours,
            incremental_every_hours: row.incremental_every_hours,
            retention: row.retention,
        }
    }
}

impl ControlPlane {
    /// Sets the backup schedule of a deployment the actor may manage; all-zero intervals
    /// remove it.
    pub async fn set_backup_schedule(
        &self,
        actor: &Actor,
        reference: &str,
        schedule: BackupSchedule,
    ) -> Result<()> {
        schedule.check()?;
        let row = self.find_deployment(actor, reference).await?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let value = (schedule.full_every_hours > 0).then_some((
            schedule.full_every_hours,
            schedule.incremental_every_hours,
            schedule.retention,
        ));
        self.inner
            .store
            .set_backup_schedule(row.id, value, now)
            .await?;
        tracing::info!(deployment = row.id, ?schedule, "backup schedule set");
        Ok(())
    }

    /// The schedules of the given deployments, by id.
    pub async fn backup_schedules_of(
        &self,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, BackupSchedule>> {
        Ok(self
            .inner
            .store
            .backup_schedules()
            .await?
            .iter()
            .filter(|r| ids.contains(&r.deployment_id))
            .map(|r| (r.deployment_id, BackupSchedule::of(r)))
            .collect())
    }

    /// Every schedule with the times of its last scheduled backups (for the scheduler).
    pub async fn all_backup_schedules(&self) -> Result<Vec<BackupScheduleRow>> {
        self.inner.store.backup_schedules().await
    }

    /// Records a backup the scheduler took at `at` (unix seconds).
    pub async fn record_scheduled_backup(
        &self,
        deployment_id: i64,
        full: bool,
        at: i64,
    ) -> Result<()> {
        self.inner
            .store
            .record_scheduled_backup(deployment_id, full, at)
            .await
    }
}

/// What a schedule asks for at `now` (unix seconds): `Some(true)` a full backup,
/// `Some(false)` an incremental one, `None` nothing yet.
pub fn due(row: &BackupScheduleRow, now: i64) -> Option<bool> {
    let elapsed = |last: Option<i64>, hours: i64| last.is_none_or(|t| now - t >= hours * 3600);
    if row.full_every_hours > 0 && elapsed(row.last_full_at, row.full_every_hours) {
        return Some(true);
    }
    if row.incremental_every_hours > 0
        && elapsed(row.last_incremental_at, row.incremental_every_hours)
    {
        return Some(false);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        full: i64,
        inc: i64,
        last_full: Option<i64>,
        last_inc: Option<i64>,
    ) -> BackupScheduleRow {
        BackupScheduleRow {
            deployment_id: 1,
            full_every_hours: full,
            incremental_every_hours: inc,
            retention: 2,
            last_full_at: last_full,
            last_incremental_at: last_inc,
        }
    }

    #[test]
    fn what_is_due() {
        let h = 3600;
        assert_eq!(
            due(&row(24, 4, None, None), 0),
            Some(true),
            "first run: full"
        );
        assert_eq!(due(&row(24, 4, Some(0), Some(0)), 3 * h), None);
        assert_eq!(due(&row(24, 4, Some(0), Some(0)), 4 * h), Some(false));
        assert_eq!(due(&row(24, 4, Some(0), Some(20 * h)), 23 * h), None);
        assert_eq!(due(&row(24, 4, Some(0), Some(20 * h)), 24 * h), Some(true));
        assert_eq!(
            due(&row(24, 0, Some(0), Some(0)), 23 * h),
            None,
            "no incrementals"
        );
        assert_eq!(due(&row(0, 0, None, None), 99 * h), None, "off");
    }

    #[test]
    fn limits() {
        let s = |f, i, r| BackupSchedule {
            full_every_hours: f,
            incremental_every_hours: i,
            retention: r,
        };
        assert!(s(168, 4, 4).check().is_ok());
        assert!(s(0, 0, 0).check().is_ok());
        assert!(s(-1, 0, 0).check().is_err());
        assert!(s(1, MAX_HOURS + 1, 0).check().is_err());
        assert!(s(0, 4, 0).check().is_err());
        assert!(s(1, 1, -1).check().is_err());
    }
}
