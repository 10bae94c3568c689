//! Operator commands against the store: API keys, replay, the DLQ and the
//! audit log. Actions are audited with the operator's login as the actor.

use std::process::ExitCode;

use anyhow::Result;
use chrono::Utc;
use o2c_hub::auth::{self, Scope};
use o2c_store::{AuditVerification, JobState, NewAuditEntry};
use serde_json::json;
use uuid::Uuid;

use super::{EXIT_BAD_INPUT, open_store};
use crate::cli::{AuditCommand, DlqCommand, KeysCommand, ReplayArgs};
use crate::settings::Settings;

/// `cli:<login>`, the actor of commands run by hand.
fn operator() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
}

fn bad_input(message: impl std::fmt::Display) -> Result<ExitCode> {
    eprintln!("o2c: {message}");
    Ok(ExitCode::from(EXIT_BAD_INPUT))
}

pub async fn keys(settings: Settings, command: KeysCommand) -> Result<ExitCode> {
    match command {
        KeysCommand::Create {
            name,
            scopes,
            channel,
            store,
        } => {
            let mut parsed = Vec::new();
            for scope in &scopes {
                match Scope::parse(scope.trim()) {
                    Some(scope) => parsed.push(scope),
                    None => {
                        let known: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
                        return bad_input(format!(
                            "unknown scope {scope:?}; known: {}",
                            known.join(", ")
                        ));
                    }
                }
            }
            let store = open_store(&settings, store.store.as_deref()).await?;
            let issued = auth::create_key(
                store.as_ref(),
                &operator(),
                &name,
                &parsed,
                channel,
                Utc::now(),
            )
            .await?;
            eprintln!(
                "created key {} ({}); the secret is shown once:",
                issued.record.id, issued.record.name
            );
            println!("{}", issued.secret);
            Ok(ExitCode::SUCCESS)
        }
        KeysCommand::List { store } => {
            let store = open_store(&settings, store.store.as_deref()).await?;
            for key in store.list_api_keys().await? {
                println!(
                    "{}  {:<20} scopes={} channel={} {}",
                    key.id,
                    key.name,
                    key.scopes.join(","),
                    key.channel.as_deref().unwrap_or("*"),
                    if key.revoked_at.is_some() {
                        "REVOKED"
                    } else {
                        "active"
                    }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        KeysCommand::Revoke { id, store } => {
            let Ok(id) = Uuid::parse_str(&id) else {
                return bad_input(format!("{id:?} is not a key id (a UUID)"));
            };
            let store = open_store(&settings, store.store.as_deref()).await?;
            let now = Utc::now();
            let audit = NewAuditEntry {
                actor: operator(),
                action: "api_key.revoke".into(),
                subject: format!("api_key:{id}"),
                details: json!({}),
                correlation_id: Uuid::now_v7().to_string(),
                at: now,
            };
            if store.revoke_api_key(id, audit, now).await? {
                println!("revoked {id}");
                Ok(ExitCode::SUCCESS)
            } else {
                bad_input(format!("no active key {id}"))
            }
        }
    }
}

pub async fn replay(settings: Settings, args: ReplayArgs) -> Result<ExitCode> {
    let Ok(order_id) = Uuid::parse_str(&args.order) else {
        return bad_input(format!("{:?} is not an order id (a UUID)", args.order));
    };
    let store = open_store(&settings, args.store.store.as_deref()).await?;
    match o2c_hub::replay::replay_order(store.as_ref(), order_id, args.resume).await {
        Ok(report) => {
            store
                .append_audit(NewAuditEntry {
                    actor: operator(),
                    action: "order.replay".into(),
                    subject: format!("order:{order_id}"),
                    details: json!({ "resume": args.resume, "repaired": report.repaired, "resumed_jobs": report.resumed_jobs }),
                    correlation_id: Uuid::now_v7().to_string(),
                    at: Utc::now(),
                })
                .await?;
            println!(
                "order {}: {} events, status {}, projection {}, {} job(s) resumed",
                report.order_id,
                report.events,
                report.status,
                if report.repaired {
                    "repaired"
                } else {
                    "consistent"
                },
                report.resumed_jobs
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(o2c_hub::replay::ReplayError::NotFound(id)) => bad_input(format!("no order {id}")),
        Err(error) => Err(error.into()),
    }
}

pub async fn dlq(settings: Settings, command: DlqCommand) -> Result<ExitCode> {
    match command {
        DlqCommand::List { limit, store } => {
            let store = open_store(&settings, store.store.as_deref()).await?;
            let jobs = store
                .list_jobs(Some(JobState::Dead), limit.clamp(1, 10_000))
                .await?;
            if jobs.is_empty() {
                println!("the dead-letter queue is empty");
            }
            for job in jobs {
                println!(
                    "{:>8}  {:<18} order={} attempts={} at={} error={}",
                    job.id,
                    job.kind,
                    job.queue_key,
                    job.attempts,
                    job.updated_at.to_rfc3339(),
                    job.last_error.as_deref().unwrap_or("-")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        DlqCommand::Show { id, store } => {
            let store = open_store(&settings, store.store.as_deref()).await?;
            match store.get_job(id).await? {
                Some(job) => {
                    println!("{}", serde_json::to_string_pretty(&job)?);
                    Ok(ExitCode::SUCCESS)
                }
                None => bad_input(format!("no job {id}")),
            }
        }
        DlqCommand::Retry {
            id,
            reason,
            override_855,
            store,
        } => {
            use o2c_hub::operations::{DeadRetry, retry_dead_job};
            let store = open_store(&settings, store.store.as_deref()).await?;
            match retry_dead_job(store.as_ref(), id, &operator(), &reason, override_855).await? {
                DeadRetry::Retried { warning } => {
                    println!("job {id} is queued again");
                    if let Some(warning) = warning {
                        eprintln!("warning: {warning}");
                    }
                    Ok(ExitCode::SUCCESS)
                }
                DeadRetry::NotDead => {
                    bad_input(format!("job {id} is not in the dead-letter queue"))
                }
                DeadRetry::PartnerTold(told) => bad_input(format!(
                    "partner {} was told in 855 {} that this order's lines of PO {} are refused ({}); \
                     retry with --override-855 --reason \"…\" to go on and send a replacing 855",
                    told.partner, told.file, told.po_number, told.reason
                )),
            }
        }
        DlqCommand::Discard { id, reason, store } => {
            let store = open_store(&settings, store.store.as_deref()).await?;
            if o2c_hub::operations::discard_dead_job(store.as_ref(), id, &operator(), &reason)
                .await?
            {
                println!("job {id} discarded");
                Ok(ExitCode::SUCCESS)
            } else {
                bad_input(format!("job {id} is not in the dead-letter queue"))
            }
        }
    }
}

pub async fn audit(settings: Settings, command: AuditCommand) -> Result<ExitCode> {
    match command {
        AuditCommand::Verify { store } => {
            let store = open_store(&settings, store.store.as_deref()).await?;
            match store.verify_audit().await? {
                AuditVerification::Intact { rows } => {
                    println!("audit log intact: {rows} rows, hash chain verified");
                    Ok(ExitCode::SUCCESS)
                }
                AuditVerification::Broken { seq, reason } => {
                    println!("audit log BROKEN at row {seq}: {reason}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}
