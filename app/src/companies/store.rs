//! SQL for company records: the list, a company's page, create, edit, delete, and
//! who belongs to it in which role. Every change is audited (entity "company") in its
//! own transaction, with where the request came from.

use super::model::{
    CompanyFields, CompanyFilter, CompanyMember, CompanyRecord, CompanyRow, MemberRole, Membership,
};
use crate::auth::model::Email;
use crate::db;
use crate::error::AppError;
use crate::store::Bind;
use crate::store::{is_unique_violation, now_ms, Db};

/// One page of `/companies`, by name: companies matching `filter` after the company
/// with id `after`. `viewer` is the signed-in user ("my companies").
pub async fn list_companies(
    db: &Db,
    filter: &CompanyFilter,
    viewer: i64,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<CompanyRow>, AppError> {
    let mut binds: Vec<Bind> = Vec::new();
    let push = |binds: &mut Vec<Bind>, b: Bind| {
        binds.push(b);
        format!("${}", binds.len())
    };
    let mut sql = String::new();
    let query = crate::search::SearchQuery::parse(&filter.q);
    let words = crate::search::store::company_condition(
        crate::search::store::is_postgres(db),
        &query,
        &mut |v| push(&mut binds, Bind::Text(v)),
    );
    if !words.is_empty() {
        sql.push_str(" AND ");
        sql.push_str(&words);
    }
    match filter.owner.trim() {
        "" => {}
        "none" => sql.push_str(" AND co.owner_id IS NULL"),
        other => {
            let id = match other {
                "me" => viewer,
                _ => other
                    .parse::<i64>()
                    .map_err(|_| AppError::validation("owner", "Choose an owner from the list."))?,
            };
            let p = push(&mut binds, Bind::Int(id));
            sql.push_str(&format!(" AND co.owner_id = {p}"));
        }
    }
    if !filter.tag.trim().is_empty() {
        let p = push(&mut binds, Bind::Text(filter.tag.trim().to_lowercase()));
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM company_tags ct WHERE ct.company_id = co.id AND ct.tag = {p})"
        ));
    }
    if let Some(after) = after {
        let p = push(&mut binds, Bind::Int(after));
        sql.push_str(&format!(
            " AND (lower(co.name), co.id) > (SELECT lower(x.name), x.id FROM companies x WHERE x.id = {p})"
        ));
    }
    let p = push(&mut binds, Bind::Int(limit));
    // The domains as one text: string_agg on Postgres, group_concat on SQLite.
    let domains = if crate::search::store::is_postgres(db) {
        "(SELECT string_agg(d.domain, ', ' ORDER BY d.domain) FROM company_domains d WHERE d.company_id = co.id)"
    } else {
        "(SELECT group_concat(d.domain, ', ') FROM (SELECT domain FROM company_domains WHERE company_id = co.id ORDER BY domain) d)"
    };
    let sql = format!(
        "SELECT co.id, co.name, {domains} AS domains,
                (SELECT u.name FROM users u WHERE u.id = co.owner_id) AS owner,
                (SELECT COUNT(*) FROM company_members m WHERE m.company_id = co.id) AS members,
                (SELECT COUNT(*) FROM tickets t JOIN stages s ON s.id = t.stage_id
                  WHERE t.company_id = co.id AND s.kind <> 'done' AND t.merged_into IS NULL) AS open_tickets
           FROM companies co
          WHERE co.deleted_at IS NULL{sql}
          ORDER BY lower(co.name), co.id LIMIT {p}"
    );
    Ok(
        db!(db, pool => crate::bind_all!(sqlx::query_as::<_, CompanyRow>(&sql), &binds).fetch_all(pool).await)?,
    )
}

#[derive(sqlx::FromRow)]
struct RecordRow {
    id: i64,
    name: String,
    auto_join: bool,
    notes: String,
    owner_id: Option<i64>,
    owner: Option<String>,
    created_at: i64,
    updated_at: i64,
}

/// One company's record, NotFound when there is none.
pub async fn company_record(db: &Db, id: i64) -> Result<CompanyRecord, AppError> {
    let row = db!(db, pool => sqlx::query_as::<_, RecordRow>(
        "SELECT co.id, co.name, co.auto_join, co.notes, co.owner_id, u.name AS owner,
                co.created_at, co.updated_at
           FROM companies co LEFT JOIN users u ON u.id = co.owner_id
          WHERE co.id = $1 AND co.deleted_at IS NULL"
    ).bind(id).fetch_optional(pool).await)?
    .ok_or(AppError::NotFound)?;
    let domains = db!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT domain FROM company_domains WHERE company_id = $1 ORDER BY domain"
    ).bind(id).fetch_all(pool).await)?;
    let tags = db!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT tag FROM company_tags WHERE company_id = $1 ORDER BY tag"
    ).bind(id).fetch_all(pool).await)?;
    Ok(CompanyRecord {
        id: row.id,
        name: row.name,
        domains,
        auto_join: row.auto_join,
        notes: row.notes,
        tags,
        owner_id: row.owner_id,
        owner: row.owner,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// The members of company `id`: managers first, then by name.
pub async fn company_members(db: &Db, id: i64) -> Result<Vec<CompanyMember>, AppError> {
    Ok(db!(db, pool => sqlx::query_as::<_, CompanyMember>(
        "SELECT c.id AS customer_id, c.name, c.email, m.role,
                COALESCE(c.company_id = m.company_id, FALSE) AS primary_company
           FROM company_members m JOIN customers c ON c.id = m.customer_id
          WHERE m.company_id = $1
          ORDER BY CASE WHEN m.role = 'manager' THEN 0 ELSE 1 END, lower(c.name), c.id
          LIMIT 500"
    ).bind(id).fetch_all(pool).await)?)
}

/// The companies customer `id` belongs to: the primary one first, then by name.
pub async fn memberships(db: &Db, id: i64) -> Result<Vec<Membership>, AppError> {
    Ok(db!(db, pool => sqlx::query_as::<_, Membership>(
        "SELECT co.id AS company_id, co.name, m.role,
                COALESCE(c.company_id = m.company_id, FALSE) AS primary_company
           FROM company_members m
           JOIN companies co ON co.id = m.company_id
           JOIN customers c ON c.id = m.customer_id
          WHERE m.customer_id = $1
          ORDER BY CASE WHEN c.company_id = m.company_id THEN 0 ELSE 1 END, lower(co.name), co.id"
    ).bind(id).fetch_all(pool).await)?)
}

/// Inside transaction `$tx`: a conflict on `domains` when one of `$domains` is
/// another company's than `$id` (0 for a new company), naming it.
macro_rules! refuse_taken_domains_in_tx {
    ($tx:expr, $domains:expr, $id:expr) => {
        async {
            for domain in $domains.iter() {
                let other: Option<String> = sqlx::query_scalar(
                    "SELECT co.name FROM company_domains d JOIN companies co ON co.id = d.company_id
                      WHERE d.domain = $1 AND d.company_id <> $2",
                )
                .bind(domain)
                .bind($id)
                .fetch_optional(&mut *$tx)
                .await?;
                if let Some(other) = other {
                    return Err(AppError::conflict(
                        "domains",
                        format!("{domain} is already a domain of {other}."),
                    ));
                }
            }
            Ok::<(), AppError>(())
        }
    };
}

/// Maps a unique violation of a company's name or a domain (another request took it
/// at the same moment) to the conflict on its field.
fn company_race(e: sqlx::Error) -> AppError {
    if is_unique_violation(&e, "companies_name_key") {
        AppError::conflict("name", "A company with this name already exists.")
    } else if is_unique_violation(&e, "company_domains_pkey") {
        AppError::conflict(
            "domains",
            "One of these domains was just given to another company.",
        )
    } else {
        e.into()
    }
}

/// Adds a company record with its domains and tags, audited; a conflict on `name`
/// when a company has the name (whatever its case), on `domains` when a domain is
/// another company's.
pub async fn create_company_record(
    db: &Db,
    actor: i64,
    fields: &CompanyFields,
    owner_id: Option<i64>,
) -> Result<i64, AppError> {
    let now = now_ms();
    crate::write_tx!(db, tx => async {
        crate::owner_name_in_tx!(tx, owner_id).await?;
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM companies WHERE lower(name) = lower($1) AND deleted_at IS NULL")
            .bind(&fields.name).fetch_optional(&mut *tx).await?;
        if taken.is_some() {
            return Err(AppError::conflict("name", "A company with this name already exists."));
        }
        refuse_taken_domains_in_tx!(tx, fields.domains, 0_i64).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO companies (name, notes, owner_id, auto_join, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(&fields.name).bind(&fields.notes).bind(owner_id).bind(fields.auto_join).bind(now)
        .fetch_one(&mut *tx).await.map_err(company_race)?;
        for domain in &fields.domains {
            sqlx::query("INSERT INTO company_domains (domain, company_id) VALUES ($1, $2)")
                .bind(domain).bind(id).execute(&mut *tx).await.map_err(company_race)?;
        }
        for tag in &fields.tags {
            sqlx::query("INSERT INTO company_tags (company_id, tag) VALUES ($1, $2)")
                .bind(id).bind(tag).execute(&mut *tx).await?;
        }
        crate::insert_audit!(&mut *tx, actor, "company", id, "created", None::<&str>, None::<&str>, Some(fields.name.as_str()), now).await?;
        Ok::<_, AppError>(id)
    }.await)
}

#[derive(sqlx::FromRow)]
struct Before {
    name: String,
    notes: String,
    auto_join: bool,
    owner: Option<String>,
    updated_at: i64,
}

/// Saves an edit of company `id` made on the version saved at `version` (its
/// `updated_at`): a conflict when someone saved it since. One audit row per field
/// that changed.
pub async fn update_company_record(
    db: &Db,
    actor: i64,
    id: i64,
    version: i64,
    fields: &CompanyFields,
    owner_id: Option<i64>,
) -> Result<(), AppError> {
    let now = now_ms();
    crate::write_tx!(db, tx => async {
        let before: Option<Before> = sqlx::query_as(
            "SELECT co.name, co.notes, co.auto_join, u.name AS owner, co.updated_at
               FROM companies co LEFT JOIN users u ON u.id = co.owner_id
              WHERE co.id = $1 AND co.deleted_at IS NULL",
        ).bind(id).fetch_optional(&mut *tx).await?;
        let before = before.ok_or(AppError::NotFound)?;
        if before.updated_at != version {
            return Err(AppError::conflict(
                "form",
                "Someone else saved this company since you opened it. What you typed is still here: reload the page in another tab to see their change, then save again.",
            ));
        }
        let owner = crate::owner_name_in_tx!(tx, owner_id).await?;
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM companies WHERE lower(name) = lower($1) AND id <> $2 AND deleted_at IS NULL")
            .bind(&fields.name).bind(id).fetch_optional(&mut *tx).await?;
        if taken.is_some() {
            return Err(AppError::conflict("name", "A company with this name already exists."));
        }
        refuse_taken_domains_in_tx!(tx, fields.domains, id).await?;
        let old_domains: Vec<String> = sqlx::query_scalar("SELECT domain FROM company_domains WHERE company_id = $1 ORDER BY domain")
            .bind(id).fetch_all(&mut *tx).await?;
        for gone in old_domains.iter().filter(|d| !fields.domains.contains(d)) {
            sqlx::query("DELETE FROM company_domains WHERE domain = $1").bind(gone).execute(&mut *tx).await?;
        }
        for added in fields.domains.iter().filter(|d| !old_domains.contains(d)) {
            sqlx::query("INSERT INTO company_domains (domain, company_id) VALUES ($1, $2)")
                .bind(added).bind(id).execute(&mut *tx).await.map_err(company_race)?;
        }
        let old_tags = crate::set_tags_in_tx!(tx, "company_tags", "company_id", id, fields.tags).await?;
        // Later than the version edited even when clocks disagree.
        let saved_at = now.max(version + 1);
        sqlx::query(
            "UPDATE companies SET name = $1, notes = $2, owner_id = $3, auto_join = $4, updated_at = $5 WHERE id = $6",
        )
        .bind(&fields.name).bind(&fields.notes).bind(owner_id).bind(fields.auto_join).bind(saved_at).bind(id)
        .execute(&mut *tx).await.map_err(company_race)?;
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v.join(", ")
        };
        let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
        let changes: [(&str, Option<String>, Option<String>); 6] = [
            ("name", Some(before.name), Some(fields.name.clone())),
            ("domains", Some(old_domains.join(", ")), Some(sorted(fields.domains.clone()))),
            ("auto_join", Some(yes_no(before.auto_join)), Some(yes_no(fields.auto_join))),
            ("notes", Some(before.notes), Some(fields.notes.clone())),
            ("tags", Some(old_tags.join(", ")), Some(sorted(fields.tags.clone()))),
            ("owner", before.owner, owner),
        ];
        for (field, old, new) in changes {
            let blank = |v: Option<String>| v.filter(|s| !s.is_empty());
            let (old, new) = (blank(old), blank(new));
            if old != new {
                crate::insert_audit!(&mut *tx, actor, "company", id, "updated", Some(field), old.as_deref(), new.as_deref(), now).await?;
            }
        }
        Ok::<_, AppError>(())
    }.await)
}

/// Deletes company `id` (an admin's clean-up): refused while a ticket is for it (its
/// managers and reports need it); its members lose the membership (a customer whose
/// primary company it was has none after), its name and domains are free again.
/// Audited.
pub async fn delete_company_record(db: &Db, actor: i64, id: i64) -> Result<(), AppError> {
    let now = now_ms();
    crate::write_tx!(db, tx => async {
        let name: Option<String> = sqlx::query_scalar("SELECT name FROM companies WHERE id = $1 AND deleted_at IS NULL")
            .bind(id).fetch_optional(&mut *tx).await?;
        let name = name.ok_or(AppError::NotFound)?;
        let tickets: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tickets WHERE company_id = $1")
            .bind(id).fetch_one(&mut *tx).await?;
        if tickets > 0 {
            return Err(AppError::conflict(
                "form",
                format!("{tickets} ticket(s) are for {name}, so the company stays."),
            ));
        }
        sqlx::query("UPDATE customers SET company_id = NULL, updated_at = $1 WHERE company_id = $2")
            .bind(now).bind(id).execute(&mut *tx).await?;
        for table in ["company_members", "company_domains", "company_tags"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE company_id = $1"))
                .bind(id).execute(&mut *tx).await?;
        }
        // A tombstone, so the id is never another company's (SQLite would reuse the
        // highest) and its history stays its own; its name is free again.
        sqlx::query("UPDATE companies SET notes = '', owner_id = NULL, auto_join = FALSE, deleted_at = $1, updated_at = $1 WHERE id = $2")
            .bind(now).bind(id).execute(&mut *tx).await?;
        crate::insert_audit!(&mut *tx, actor, "company", id, "deleted", None::<&str>, Some(name.as_str()), None::<&str>, now).await?;
        Ok::<_, AppError>(())
    }.await)
}

/// Adds the customer with address `email` (primary or alias) to company `company_id`
/// in `role`, or changes their role when they are a member already. The company
/// becomes their primary one when they had none. Audited on the company and on the
/// customer.
pub async fn add_member(
    db: &Db,
    actor: i64,
    company_id: i64,
    email: &str,
    role: MemberRole,
) -> Result<(), AppError> {
    let email = Email::parse(email).map_err(|e| AppError::validation("email", e.to_string()))?;
    let now = now_ms();
    crate::write_tx!(db, tx => async {
        let company: Option<String> = sqlx::query_scalar("SELECT name FROM companies WHERE id = $1 AND deleted_at IS NULL")
            .bind(company_id).fetch_optional(&mut *tx).await?;
        let company = company.ok_or(AppError::NotFound)?;
        let customer: Option<(i64, String, Option<i64>)> = sqlx::query_as(
            "SELECT c.id, c.name, c.company_id FROM customer_emails e JOIN customers c ON c.id = e.customer_id
              WHERE e.email = $1 AND c.deleted_at IS NULL",
        ).bind(email.as_str()).fetch_optional(&mut *tx).await?;
        let Some((customer_id, name, primary)) = customer else {
            return Err(AppError::validation("email", "No customer has this address: add them as a customer first."));
        };
        let old_role: Option<String> = sqlx::query_scalar(
            "SELECT role FROM company_members WHERE customer_id = $1 AND company_id = $2",
        ).bind(customer_id).bind(company_id).fetch_optional(&mut *tx).await?;
        if primary.is_none() {
            // The trigger adds the membership of a primary company.
            sqlx::query("UPDATE customers SET company_id = $1, updated_at = $2 WHERE id = $3")
                .bind(company_id).bind(now).bind(customer_id).execute(&mut *tx).await?;
        }
        sqlx::query(
            "INSERT INTO company_members (customer_id, company_id, role, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (customer_id, company_id) DO UPDATE SET role = excluded.role",
        ).bind(customer_id).bind(company_id).bind(role.as_str()).bind(now).execute(&mut *tx).await?;
        let who = format!("{name} <{}>", email.as_str());
        match old_role.as_deref() {
            None => {
                crate::insert_audit!(&mut *tx, actor, "company", company_id, "member_added", Some("members"), None::<&str>, Some(format!("{who} ({})", role.as_str()).as_str()), now).await?;
                crate::insert_audit!(&mut *tx, actor, "customer", customer_id, "updated", Some("companies"), None::<&str>, Some(company.as_str()), now).await?;
            }
            Some(old) if old != role.as_str() => {
                crate::insert_audit!(&mut *tx, actor, "company", company_id, "updated", Some("role"), Some(format!("{who} ({old})").as_str()), Some(format!("{who} ({})", role.as_str()).as_str()), now).await?;
            }
            Some(_) => {}
        }
        Ok::<_, AppError>(())
    }.await)
}

/// Removes customer `customer_id` from company `company_id`. When it was their
/// primary company, another of theirs (the first by name) becomes it, or none.
/// Audited on the company and on the customer.
pub async fn remove_member(
    db: &Db,
    actor: i64,
    company_id: i64,
    customer_id: i64,
) -> Result<(), AppError> {
    let now = now_ms();
    crate::write_tx!(db, tx => async {
        let found: Option<(String, String, String, Option<i64>)> = sqlx::query_as(
            "SELECT co.name, c.name, c.email, c.company_id FROM company_members m
               JOIN companies co ON co.id = m.company_id JOIN customers c ON c.id = m.customer_id
              WHERE m.company_id = $1 AND m.customer_id = $2",
        ).bind(company_id).bind(customer_id).fetch_optional(&mut *tx).await?;
        let Some((company, name, email, primary)) = found else {
            return Err(AppError::NotFound);
        };
        if primary == Some(company_id) {
            // The trigger drops the membership of the primary company it moves from.
            sqlx::query(
                "UPDATE customers SET updated_at = $1, company_id = (
                     SELECT m.company_id FROM company_members m JOIN companies co ON co.id = m.company_id
                      WHERE m.customer_id = $2 AND m.company_id <> $3 ORDER BY lower(co.name), co.id LIMIT 1)
                  WHERE id = $2",
            ).bind(now).bind(customer_id).bind(company_id).execute(&mut *tx).await?;
        }
        sqlx::query("DELETE FROM company_members WHERE company_id = $1 AND customer_id = $2")
            .bind(company_id).bind(customer_id).execute(&mut *tx).await?;
        let who = format!("{name} <{email}>");
        crate::insert_audit!(&mut *tx, actor, "company", company_id, "member_removed", Some("members"), Some(who.as_str()), None::<&str>, now).await?;
        crate::insert_audit!(&mut *tx, actor, "customer", customer_id, "updated", Some("companies"), Some(company.as_str()), None::<&str>, now).await?;
        Ok::<_, AppError>(())
    }.await)
}
