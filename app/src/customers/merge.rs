//! Merging duplicate customers, undoing a merge within a day, and finding likely
//! duplicates. A merge moves the other customer's tickets, messages, addresses (which
//! become the survivor's aliases, so a portal account signing in with one now sees
//! the survivor's tickets), tags, company memberships and notes to the survivor, and
//! leaves the other as a tombstone pointing at it; what moved is recorded with the
//! merge (`customer_merges.moved`) so that the undo puts back exactly that.

use serde::{Deserialize, Serialize};

use super::model::{DuplicatePair, MergeEntry};
use crate::db;
use crate::error::AppError;
use crate::store::{now_ms, Db};

/// How long a merge can be undone.
pub const UNDO_WINDOW_MS: i64 = 24 * 3_600_000;

/// The merged customer's record as it was.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow)]
struct Record {
    name: String,
    email: String,
    phone: String,
    time_zone: String,
    language: String,
    notes: String,
    owner_id: Option<i64>,
    company_id: Option<i64>,
    updated_at: i64,
}

/// What a merge moved, to undo it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Moved {
    /// The merged customer as it was.
    record: Record,
    emails: Vec<String>,
    tags: Vec<String>,
    /// Its memberships: (company, role).
    memberships: Vec<(i64, String)>,
    tickets: Vec<i64>,
    messages: Vec<i64>,
    /// What the survivor gained: tags and memberships it did not have.
    tags_added: Vec<String>,
    memberships_added: Vec<i64>,
    /// The survivor's fields the merge changed, as they were and as the merge left
    /// them (put back only when still as the merge left them).
    survivor_notes: (String, String),
    survivor_owner: (Option<i64>, Option<i64>),
    survivor_company: (Option<i64>, Option<i64>),
}

/// "Name <address>" of a customer, for the audit trail.
fn who(name: &str, email: &str) -> String {
    format!("{name} <{email}>")
}

/// Merges customer `other` into `survivor` (see the module), as one transaction
/// with one audit row on the survivor. Answers the merge's id.
pub async fn merge_customers(
    db: &Db,
    actor: i64,
    survivor: i64,
    other: i64,
) -> Result<i64, AppError> {
    if survivor == other {
        return Err(AppError::validation(
            "other",
            "That is this customer: choose the duplicate to merge into it.",
        ));
    }
    let now = now_ms();
    crate::write_tx!(db, tx => async {
        let load = "SELECT name, email, phone, time_zone, language, notes, owner_id, company_id, updated_at
                      FROM customers WHERE id = $1 AND deleted_at IS NULL";
        let kept: Option<Record> = sqlx::query_as(load).bind(survivor).fetch_optional(&mut *tx).await?;
        let kept = kept.ok_or(AppError::NotFound)?;
        let gone: Option<Record> = sqlx::query_as(load).bind(other).fetch_optional(&mut *tx).await?;
        let gone = gone.ok_or_else(|| AppError::validation("other", "No such customer (it may have been merged or deleted)."))?;
        let ids = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).bind(other);
        let tickets: Vec<i64> = ids("SELECT id FROM tickets WHERE customer_id = $1 ORDER BY id").fetch_all(&mut *tx).await?;
        let messages: Vec<i64> = ids("SELECT id FROM messages WHERE customer_id = $1 ORDER BY id").fetch_all(&mut *tx).await?;
        let emails: Vec<String> = sqlx::query_scalar("SELECT email FROM customer_emails WHERE customer_id = $1 ORDER BY email")
            .bind(other).fetch_all(&mut *tx).await?;
        let tags: Vec<String> = sqlx::query_scalar("SELECT tag FROM customer_tags WHERE customer_id = $1 ORDER BY tag")
            .bind(other).fetch_all(&mut *tx).await?;
        let memberships: Vec<(i64, String)> = sqlx::query_as("SELECT company_id, role FROM company_members WHERE customer_id = $1 ORDER BY company_id")
            .bind(other).fetch_all(&mut *tx).await?;
        let survivor_tags: Vec<String> = sqlx::query_scalar("SELECT tag FROM customer_tags WHERE customer_id = $1")
            .bind(survivor).fetch_all(&mut *tx).await?;
        let survivor_companies: Vec<i64> = sqlx::query_scalar("SELECT company_id FROM company_members WHERE customer_id = $1")
            .bind(survivor).fetch_all(&mut *tx).await?;
        let tags_added: Vec<String> = tags.iter().filter(|t| !survivor_tags.contains(t)).cloned().collect();
        let memberships_added: Vec<i64> = memberships.iter().map(|m| m.0).filter(|c| !survivor_companies.contains(c)).collect();
        let notes = match (kept.notes.is_empty(), gone.notes.is_empty()) {
            (_, true) => kept.notes.clone(),
            (true, false) => gone.notes.clone(),
            (false, false) => format!("{}\n\n{}", kept.notes, gone.notes),
        };
        let owner = kept.owner_id.or(gone.owner_id);
        let company = kept.company_id.or(gone.company_id);

        // The other becomes a tombstone first, freeing its primary address for the
        // survivor's aliases (its memberships and tags go with it).
        for table in ["customer_tags", "company_members"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE customer_id = $1")).bind(other).execute(&mut *tx).await?;
        }
        sqlx::query(
            "UPDATE customers SET email = $1, company_id = NULL, deleted_at = $2, updated_at = $2, merged_into = $3 WHERE id = $4",
        ).bind(format!("merged-{other}@customer.invalid")).bind(now).bind(survivor).bind(other).execute(&mut *tx).await?;
        sqlx::query("UPDATE customer_emails SET customer_id = $1 WHERE customer_id = $2")
            .bind(survivor).bind(other).execute(&mut *tx).await?;
        sqlx::query("UPDATE tickets SET customer_id = $1 WHERE customer_id = $2")
            .bind(survivor).bind(other).execute(&mut *tx).await?;
        sqlx::query("UPDATE messages SET customer_id = $1 WHERE customer_id = $2")
            .bind(survivor).bind(other).execute(&mut *tx).await?;
        for tag in &tags_added {
            sqlx::query("INSERT INTO customer_tags (customer_id, tag) VALUES ($1, $2)")
                .bind(survivor).bind(tag).execute(&mut *tx).await?;
        }
        // The primary company first (its trigger makes the membership), then the rest
        // with their roles.
        sqlx::query("UPDATE customers SET notes = $1, owner_id = $2, company_id = $3, updated_at = $4 WHERE id = $5")
            .bind(&notes).bind(owner).bind(company).bind(now.max(kept.updated_at + 1)).bind(survivor)
            .execute(&mut *tx).await?;
        for (company_id, role) in memberships.iter().filter(|m| memberships_added.contains(&m.0)) {
            sqlx::query(
                "INSERT INTO company_members (customer_id, company_id, role, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (customer_id, company_id) DO UPDATE SET role = excluded.role",
            ).bind(survivor).bind(company_id).bind(role).bind(now).execute(&mut *tx).await?;
        }
        let moved = Moved {
            emails,
            tags,
            memberships,
            tickets,
            messages,
            tags_added,
            memberships_added,
            survivor_notes: (kept.notes.clone(), notes),
            survivor_owner: (kept.owner_id, owner),
            survivor_company: (kept.company_id, company),
            record: gone,
        };
        let json = serde_json::to_string(&moved).map_err(AppError::internal)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO customer_merges (survivor_id, merged_id, actor_id, at, moved) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        ).bind(survivor).bind(other).bind(actor).bind(now).bind(&json).fetch_one(&mut *tx).await?;
        let summary = format!(
            "{} (customer {other}: {} ticket(s), {} address(es))",
            who(&moved.record.name, &moved.record.email),
            moved.tickets.len(),
            moved.emails.len()
        );
        crate::insert_audit!(&mut *tx, actor, "customer", survivor, "merged", None::<&str>, Some(summary.as_str()), None::<&str>, now).await?;
        Ok::<_, AppError>(id)
    }.await)
}

#[derive(sqlx::FromRow)]
struct MergeRow {
    survivor_id: i64,
    merged_id: i64,
    at: i64,
    moved: String,
    undone_at: Option<i64>,
}

/// Undoes merge `id` made less than a day ago: the merged customer is back with its
/// record, addresses, tags, memberships, tickets and messages, and the survivor loses
/// what the merge gave it (each survivor field only when still as the merge left
/// it). One audit row on each.
pub async fn undo_merge(db: &Db, actor: i64, id: i64) -> Result<i64, AppError> {
    let now = now_ms();
    crate::write_tx!(db, tx => async {
        let row: Option<MergeRow> = sqlx::query_as(
            "SELECT survivor_id, merged_id, at, moved, undone_at FROM customer_merges WHERE id = $1",
        ).bind(id).fetch_optional(&mut *tx).await?;
        let row = row.ok_or(AppError::NotFound)?;
        if row.undone_at.is_some() {
            return Err(AppError::conflict("form", "This merge was undone already."));
        }
        if now - row.at > UNDO_WINDOW_MS {
            return Err(AppError::conflict("form", "A merge can be undone for a day; this one is older."));
        }
        let moved: Moved = serde_json::from_str(&row.moved).map_err(AppError::internal)?;
        let (survivor, other) = (row.survivor_id, row.merged_id);
        let still: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM customers WHERE id = $1 AND merged_into = $2",
        ).bind(other).bind(survivor).fetch_optional(&mut *tx).await?;
        if still.is_none() {
            return Err(AppError::conflict("form", "The merged customer is no longer there to bring back."));
        }
        // The survivor gives back what it gained.
        let (notes_before, notes_after) = &moved.survivor_notes;
        sqlx::query("UPDATE customers SET notes = $1 WHERE id = $2 AND notes = $3")
            .bind(notes_before).bind(survivor).bind(notes_after).execute(&mut *tx).await?;
        let (owner_before, owner_after) = moved.survivor_owner;
        if owner_before != owner_after {
            sqlx::query("UPDATE customers SET owner_id = $1 WHERE id = $2 AND owner_id = $3")
                .bind(owner_before).bind(survivor).bind(owner_after).execute(&mut *tx).await?;
        }
        let (company_before, company_after) = moved.survivor_company;
        if company_before != company_after {
            sqlx::query("UPDATE customers SET company_id = $1 WHERE id = $2 AND company_id = $3")
                .bind(company_before).bind(survivor).bind(company_after).execute(&mut *tx).await?;
        }
        for company in &moved.memberships_added {
            sqlx::query("DELETE FROM company_members WHERE customer_id = $1 AND company_id = $2 AND company_id IS DISTINCT FROM (SELECT company_id FROM customers WHERE id = $1)")
                .bind(survivor).bind(company).execute(&mut *tx).await?;
        }
        for tag in &moved.tags_added {
            sqlx::query("DELETE FROM customer_tags WHERE customer_id = $1 AND tag = $2")
                .bind(survivor).bind(tag).execute(&mut *tx).await?;
        }
        sqlx::query("UPDATE customers SET updated_at = $1 WHERE id = $2").bind(now).bind(survivor).execute(&mut *tx).await?;
        // The merged customer comes back: its addresses first, then its record, then
        // what was its. Its primary address must be nobody else's primary one now.
        let r = &moved.record;
        let holder: Option<String> = sqlx::query_scalar("SELECT name FROM customers WHERE email = $1 AND id <> $2")
            .bind(&r.email).bind(other).fetch_optional(&mut *tx).await?;
        if let Some(holder) = holder {
            return Err(AppError::conflict(
                "form",
                format!("{} is now the primary address of {holder}: give them another primary address first.", r.email),
            ));
        }
        for email in &moved.emails {
            sqlx::query("UPDATE customer_emails SET customer_id = $1 WHERE email = $2 AND customer_id = $3")
                .bind(other).bind(email).bind(survivor).execute(&mut *tx).await?;
        }
        sqlx::query(
            "INSERT INTO customer_emails (email, customer_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        ).bind(&r.email).bind(other).bind(now).execute(&mut *tx).await?;
        sqlx::query(
            "UPDATE customers SET name = $1, email = $2, phone = $3, time_zone = $4, language = $5, notes = $6,
                    owner_id = $7, company_id = $8, deleted_at = NULL, merged_into = NULL, updated_at = $9
              WHERE id = $10",
        )
        .bind(&r.name).bind(&r.email).bind(&r.phone).bind(&r.time_zone).bind(&r.language).bind(&r.notes)
        .bind(r.owner_id).bind(r.company_id).bind(now.max(r.updated_at + 1)).bind(other)
        .execute(&mut *tx).await?;
        for tag in &moved.tags {
            sqlx::query("INSERT INTO customer_tags (customer_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(other).bind(tag).execute(&mut *tx).await?;
        }
        for (company, role) in &moved.memberships {
            sqlx::query(
                "INSERT INTO company_members (customer_id, company_id, role, created_at)
                 SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM companies WHERE id = $2 AND deleted_at IS NULL)
                 ON CONFLICT (customer_id, company_id) DO UPDATE SET role = excluded.role",
            ).bind(other).bind(company).bind(role).bind(now).execute(&mut *tx).await?;
        }
        for ticket in &moved.tickets {
            sqlx::query("UPDATE tickets SET customer_id = $1 WHERE id = $2 AND customer_id = $3")
                .bind(other).bind(ticket).bind(survivor).execute(&mut *tx).await?;
        }
        for message in &moved.messages {
            sqlx::query("UPDATE messages SET customer_id = $1 WHERE id = $2 AND customer_id = $3")
                .bind(other).bind(message).bind(survivor).execute(&mut *tx).await?;
        }
        sqlx::query("UPDATE customer_merges SET undone_at = $1 WHERE id = $2").bind(now).bind(id).execute(&mut *tx).await?;
        let name = who(&r.name, &r.email);
        crate::insert_audit!(&mut *tx, actor, "customer", survivor, "merge_undone", None::<&str>, Some(name.as_str()), None::<&str>, now).await?;
        crate::insert_audit!(&mut *tx, actor, "customer", other, "merge_undone", None::<&str>, None::<&str>, Some(name.as_str()), now).await?;
        Ok::<_, AppError>(other)
    }.await)
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: i64,
    merged_id: i64,
    at: i64,
    moved: String,
    undone_at: Option<i64>,
}

/// The merges into customer `id`, newest first (at most 20), and whether each can
/// still be undone.
/// The live record customer `id` was merged into (following merges of merges), or
/// None when `id` is not a merged customer.
pub async fn survivor_of(db: &Db, id: i64) -> Result<Option<i64>, AppError> {
    let mut at = id;
    // A merge never makes a cycle (the survivor is live when it happens); the bound
    // is a guard all the same.
    for _ in 0..32 {
        let next: Option<Option<i64>> = db!(db, pool => sqlx::query_scalar(
            "SELECT merged_into FROM customers WHERE id = $1 AND deleted_at IS NOT NULL"
        ).bind(at).fetch_optional(pool).await)?;
        match next {
            Some(Some(n)) => at = n,
            _ => break,
        }
    }
    Ok((at != id).then_some(at))
}

pub async fn merges_into(db: &Db, id: i64) -> Result<Vec<MergeEntry>, AppError> {
    let rows = db!(db, pool => sqlx::query_as::<_, EntryRow>(
        "SELECT id, merged_id, at, moved, undone_at FROM customer_merges WHERE survivor_id = $1 ORDER BY at DESC, id DESC LIMIT 20"
    ).bind(id).fetch_all(pool).await)?;
    let now = now_ms();
    Ok(rows
        .into_iter()
        .map(|r| {
            let moved: Option<Moved> = serde_json::from_str(&r.moved).ok();
            MergeEntry {
                id: r.id,
                merged_id: r.merged_id,
                name: moved
                    .as_ref()
                    .map(|m| who(&m.record.name, &m.record.email))
                    .unwrap_or_default(),
                tickets: moved.as_ref().map(|m| m.tickets.len() as i64).unwrap_or(0),
                at: r.at,
                undone: r.undone_at.is_some(),
                can_undo: r.undone_at.is_none() && now - r.at <= UNDO_WINDOW_MS,
            }
        })
        .collect())
}

/// The customer a merge of `raw` into another means: an address (primary or alias)
/// or a customer number; a field error on `other` otherwise.
pub async fn find_other(db: &Db, raw: &str) -> Result<i64, AppError> {
    let raw = raw.trim().trim_start_matches('#');
    let found: Option<i64> = if let Ok(id) = raw.parse::<i64>() {
        db!(db, pool => sqlx::query_scalar::<_, i64>("SELECT id FROM customers WHERE id = $1 AND deleted_at IS NULL")
            .bind(id).fetch_optional(pool).await)?
    } else {
        let email = crate::auth::model::Email::parse(raw)
            .map_err(|_| AppError::validation("other", "Enter the duplicate’s email address."))?;
        super::store::find_customer_by_email(db, &email).await?
    };
    found.ok_or_else(|| AppError::validation("other", "No customer has this address."))
}

#[derive(sqlx::FromRow)]
struct PairRow {
    a_id: i64,
    a_name: String,
    a_email: String,
    b_id: i64,
    b_name: String,
    b_email: String,
    reason: String,
}

/// Likely duplicates, at most `limit` pairs: customers with the same phone number
/// (however it was written) or the same name in the same company. The older of each
/// pair comes first (the one a merge keeps).
pub async fn possible_duplicates(db: &Db, limit: i64) -> Result<Vec<DuplicatePair>, AppError> {
    let digits = |t: &str| {
        format!(
            "replace(replace(replace(replace(replace(replace({t}.phone, ' ', ''), '-', ''), '.', ''), '(', ''), ')', ''), '/', '')"
        )
    };
    let sql = format!(
        "SELECT a_id, a_name, a_email, b_id, b_name, b_email, reason FROM (
            SELECT a.id AS a_id, a.name AS a_name, a.email AS a_email, b.id AS b_id, b.name AS b_name,
                   b.email AS b_email, 'same phone' AS reason
              FROM customers a JOIN customers b ON {b} = {a} AND b.id > a.id
             WHERE a.phone <> '' AND b.phone <> '' AND a.deleted_at IS NULL AND b.deleted_at IS NULL
            UNION ALL
            SELECT a.id, a.name, a.email, b.id, b.name, b.email, 'same name and company'
              FROM customers a JOIN customers b
                ON b.company_id = a.company_id AND lower(b.name) = lower(a.name) AND b.id > a.id
             WHERE a.company_id IS NOT NULL AND a.deleted_at IS NULL AND b.deleted_at IS NULL
         ) pairs ORDER BY a_id, b_id LIMIT $1",
        a = digits("a"),
        b = digits("b"),
    );
    let rows =
        db!(db, pool => sqlx::query_as::<_, PairRow>(&sql).bind(limit).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(|r| DuplicatePair {
            keep_id: r.a_id,
            keep_name: r.a_name,
            keep_email: r.a_email,
            other_id: r.b_id,
            other_name: r.b_name,
            other_email: r.b_email,
            reason: r.reason,
        })
        .collect())
}
