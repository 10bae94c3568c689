//! Small conversions shared by both backends.

use crate::error::StoreError;
use crate::ports::JobState;

pub(crate) fn job_state_str(s: JobState) -> &'static str {
    match s {
        JobState::Pending => "pending",
        JobState::Leased => "leased",
        JobState::Done => "done",
        JobState::Dead => "dead",
        JobState::Discarded => "discarded",
    }
}

pub(crate) fn parse_job_state(s: &str) -> Result<JobState, StoreError> {
    Ok(match s {
        "pending" => JobState::Pending,
        "leased" => JobState::Leased,
        "done" => JobState::Done,
        "dead" => JobState::Dead,
        "discarded" => JobState::Discarded,
        other => {
            return Err(StoreError::Serialization(format!(
                "unknown job state {other:?}"
            )));
        }
    })
}

pub(crate) fn status_u16(v: i64) -> Result<u16, StoreError> {
    u16::try_from(v)
        .map_err(|_| StoreError::Serialization(format!("response status out of range: {v}")))
}

/// Clamps a caller-supplied limit to something sane.
pub(crate) fn clamp_limit(limit: i64) -> i64 {
    limit.clamp(0, 100_000)
}
