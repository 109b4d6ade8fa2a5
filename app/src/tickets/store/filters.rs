//! The SQL conditions of the board's and the list's filters.

use super::*;

// ---- filters ----------------------------------------------------------------------

/// The SQL conditions of `filter`, each as ` AND …`, for a query over `tickets t`
/// joined to `customers c` and `companies co`; placeholders are numbered on from
/// `binds.len() + 1`. `me` is the signed-in user, `now` the clock for "overdue",
/// `pg` whether the database is Postgres (full-text search is written differently).
/// Only staff see boards and lists, so the free text also searches internal notes;
/// `matching` says how its words are tested (see `search::store::Matching`).
pub fn filter_conditions(
    pg: bool,
    filter: &TicketFilter,
    me: i64,
    now: i64,
    matching: crate::search::store::Matching,
    binds: &mut Vec<Bind>,
) -> String {
    let mut sql = String::new();
    let push = |binds: &mut Vec<Bind>, b: Bind| {
        binds.push(b);
        format!("${}", binds.len())
    };
    match filter.assignee {
        Some(AssigneeFilter::Me) => {
            let p = push(binds, Bind::Int(me));
            sql.push_str(&format!(" AND t.assignee_id = {p}"));
        }
        Some(AssigneeFilter::Person(id)) => {
            let p = push(binds, Bind::Int(id));
            sql.push_str(&format!(" AND t.assignee_id = {p}"));
        }
        Some(AssigneeFilter::Unassigned) => sql.push_str(" AND t.assignee_id IS NULL"),
        None => {}
    }
    if let Some(priority) = filter.priority {
        let p = push(binds, Bind::Text(priority.as_str().into()));
        sql.push_str(&format!(" AND t.priority = {p}"));
    }
    if !filter.customer.is_empty() {
        let p = push(binds, Bind::Text(like_pattern(&filter.customer)));
        sql.push_str(&format!(
            " AND (lower(c.name) LIKE {p} ESCAPE '\\' OR c.email LIKE {p} ESCAPE '\\' \
             OR t.company_id IN (SELECT id FROM companies WHERE lower(name) LIKE {p} ESCAPE '\\'))"
        ));
    }
    if !filter.tag.is_empty() {
        let p = push(binds, Bind::Text(filter.tag.clone()));
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM ticket_tags g WHERE g.ticket_id = t.id AND g.tag = {p})"
        ));
    }
    if filter.overdue {
        let p = push(binds, Bind::Int(now));
        sql.push_str(&format!(
            " AND t.completed_at IS NULL AND t.due_at IS NOT NULL AND t.due_at < {p}"
        ));
    }
    if !filter.text.is_empty() {
        let query = crate::search::SearchQuery::parse(&filter.text);
        // A number finds that ticket too.
        let number = filter.number().map(|n| push(binds, Bind::Int(n)));
        let mut bind = |v: String| {
            binds.push(Bind::Text(v));
            format!("${}", binds.len())
        };
        let words = crate::search::store::ticket_condition(
            pg,
            &query,
            true,
            matching,
            number.as_deref(),
            &mut bind,
        );
        match (number, words.is_empty()) {
            (Some(q), true) => sql.push_str(&format!(" AND t.number = {q}")),
            // Nothing searchable typed (punctuation only): no condition.
            (None, true) => {}
            (_, false) => sql.push_str(&format!(" AND {words}")),
        }
    }
    sql
}
