//! A team's pipeline: its stages, what kind each is, and their names.

use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// What entering a stage means: `done` completes a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StageKind {
    Open,
    Waiting,
    Done,
}

impl StageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StageKind::Open => "open",
            StageKind::Waiting => "waiting",
            StageKind::Done => "done",
        }
    }

    pub fn parse(s: &str) -> Result<StageKind, AppError> {
        match s.trim() {
            "open" => Ok(StageKind::Open),
            "waiting" => Ok(StageKind::Waiting),
            "done" => Ok(StageKind::Done),
            _ => Err(AppError::validation(
                "kind",
                "Choose open, waiting or done.",
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    pub id: i64,
    pub team_id: i64,
    pub name: String,
    pub kind: StageKind,
    pub position: i64,
    pub wip_limit: Option<i64>,
}

/// A stage name: required, at most 60 characters.
pub fn parse_stage_name(raw: &str) -> Result<String, AppError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(AppError::validation("name", "Give the stage a name."));
    }
    if s.chars().count() > 60 {
        return Err(AppError::validation("name", "Use at most 60 characters."));
    }
    Ok(s.to_string())
}
