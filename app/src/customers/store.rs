//! SQL for customers and companies: the records tickets are for, the search of New
//! ticket, and the portal accounts Admin → Customers puts in companies.

use super::model::{AccountRow, CustomerHit};
use crate::auth::model::{Email, PersonName};
use crate::db;
use crate::error::AppError;
use crate::store::{is_unique_violation, like_pattern, now_ms, Db};

/// The id of the company called `$name` (found whatever its case, or added) inside
/// the write transaction `$tx`, as `Result<i64, sqlx::Error>`: a unique violation of
/// `companies_name_key` means another request added it at the same moment. Used by
/// every write that names a company by what was typed.
#[macro_export]
macro_rules! company_in_tx {
    ($tx:expr, $name:expr, $now:expr) => {
        async {
            let name: &str = $name;
            let found: Option<i64> =
                sqlx::query_scalar("SELECT id FROM companies WHERE lower(name) = lower($1)")
                    .bind(name)
                    .fetch_optional(&mut *$tx)
                    .await?;
            match found {
                Some(id) => Ok::<i64, sqlx::Error>(id),
                None => {
                    sqlx::query_scalar::<_, i64>(
                        "INSERT INTO companies (name, created_at) VALUES ($1, $2) RETURNING id",
                    )
                    .bind(name)
                    .bind($now)
                    .fetch_one(&mut *$tx)
                    .await
                }
            }
        }
    };
}

/// A company name as typed, trimmed, or a field error on `company`.
pub fn company_name(name: &str) -> Result<&str, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(AppError::validation(
            "company",
            "A company name has 1 to 120 characters.",
        ));
    }
    Ok(name)
}

pub async fn create_company(db: &Db, name: &str) -> Result<i64, AppError> {
    let name = company_name(name)?;
    crate::write_tx!(db, single conn => sqlx::query_scalar::<_, i64>(
        "INSERT INTO companies (name, created_at) VALUES ($1, $2) RETURNING id"
    ).bind(name).bind(now_ms()).fetch_one(&mut *conn).await.map_err(|e| {
        if is_unique_violation(&e, "companies_name_key") {
            AppError::conflict("company", "A company with this name already exists.")
        } else {
            e.into()
        }
    }))
}

pub async fn create_customer(
    db: &Db,
    name: &PersonName,
    email: &Email,
    company_id: Option<i64>,
) -> Result<i64, AppError> {
    crate::write_tx!(db, single conn => sqlx::query_scalar::<_, i64>(
        "INSERT INTO customers (name, email, company_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id"
    ).bind(name.as_str()).bind(email.as_str()).bind(company_id).bind(now_ms()).fetch_one(&mut *conn).await.map_err(|e| {
        if is_unique_violation(&e, "customers_email_key") {
            AppError::conflict("email", "A customer with this email already exists.")
        } else {
            e.into()
        }
    }))
}

pub async fn find_customer_by_email(db: &Db, email: &Email) -> Result<Option<i64>, AppError> {
    Ok(
        db!(db, pool => sqlx::query_scalar::<_, i64>("SELECT id FROM customers WHERE email = $1")
        .bind(email.as_str()).fetch_optional(pool).await)?,
    )
}

pub async fn find_or_create_company(db: &Db, name: &str) -> Result<i64, AppError> {
    let found: Option<i64> = db!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM companies WHERE lower(name) = lower($1)"
    ).bind(name.trim()).fetch_optional(pool).await)?;
    match found {
        Some(id) => Ok(id),
        None => create_company(db, name).await,
    }
}

#[derive(sqlx::FromRow)]
struct CustomerHitRow {
    email: String,
    name: String,
    company: Option<String>,
}

/// Customers whose email or name starts with `prefix` (lower-case).
pub async fn search_customers(
    db: &Db,
    prefix: &str,
    limit: i64,
) -> Result<Vec<CustomerHit>, AppError> {
    // Escape LIKE's wildcards in what was typed.
    let pattern = format!(
        "{}%",
        prefix
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let rows = db!(db, pool => sqlx::query_as::<_, CustomerHitRow>(
        "SELECT c.email, c.name, co.name AS company FROM customers c LEFT JOIN companies co ON co.id = c.company_id
         WHERE c.email LIKE $1 ESCAPE '\\' OR lower(c.name) LIKE $1 ESCAPE '\\' ORDER BY c.name, c.id LIMIT $2"
    ).bind(&pattern).bind(limit).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(|r| CustomerHit {
            email: r.email,
            name: r.name,
            company: r.company,
        })
        .collect())
}

// ---- Admin → Customers: portal accounts, their company and manager flag -------------

/// Customer accounts by id (newest first), matching `text` in name or email; paged by
/// the last id of the previous page.
pub async fn customer_accounts(
    db: &Db,
    text: &str,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AccountRow>, AppError> {
    Ok(db!(db, pool => sqlx::query_as::<_, AccountRow>(
        "SELECT u.id AS user_id, u.name, u.email, u.verified_at, c.id AS customer_id,
                co.name AS company, c.company_manager
           FROM users u
           LEFT JOIN customers c ON c.email = u.email
           LEFT JOIN companies co ON co.id = c.company_id
          WHERE u.role = 'customer' AND u.id < $1
            AND ($2 = '%%' OR lower(u.name) LIKE $2 ESCAPE '\\' OR u.email LIKE $2 ESCAPE '\\')
          ORDER BY u.id DESC LIMIT $3"
    ).bind(before.unwrap_or(i64::MAX)).bind(like_pattern(text.trim())).bind(limit).fetch_all(pool).await)?)
}

/// Puts a customer in a company (created when new; none when `company` is blank) and
/// sets whether they manage it, with audit rows for what changed.
pub async fn set_company(
    db: &Db,
    actor: i64,
    customer_id: i64,
    company: &str,
    manager: bool,
) -> Result<(), AppError> {
    let company = company.trim();
    if company.chars().count() > 200 {
        return Err(AppError::validation(
            "company",
            "Use at most 200 characters.",
        ));
    }
    if manager && company.is_empty() {
        return Err(AppError::validation(
            "company",
            "A company manager needs a company: enter its name.",
        ));
    }
    let now = now_ms();
    crate::write_tx!(db, tx => async {
        let old: Option<(Option<String>, bool)> = sqlx::query_as(
            "SELECT co.name, c.company_manager FROM customers c LEFT JOIN companies co ON co.id = c.company_id WHERE c.id = $1",
        )
        .bind(customer_id).fetch_optional(&mut *tx).await?;
        let Some((old_company, old_manager)) = old else {
            return Err(AppError::NotFound);
        };
        let company_id: Option<i64> = if company.is_empty() {
            None
        } else {
            Some(crate::company_in_tx!(tx, company, now).await?)
        };
        sqlx::query("UPDATE customers SET company_id = $1, company_manager = $2 WHERE id = $3")
            .bind(company_id).bind(manager).bind(customer_id).execute(&mut *tx).await?;
        let new_company = (!company.is_empty()).then_some(company);
        if old_company.as_deref() != new_company {
            crate::insert_audit!(&mut *tx, actor, "customer", customer_id, "updated", Some("company"), old_company.as_deref(), new_company, now).await?;
        }
        if old_manager != manager {
            let (o, n) = (old_manager.to_string(), manager.to_string());
            crate::insert_audit!(&mut *tx, actor, "customer", customer_id, "updated", Some("company_manager"), Some(o.as_str()), Some(n.as_str()), now).await?;
        }
        Ok::<_, AppError>(())
    }.await)
}
