//! `grip seed`: data for people (`--demo`, a believable workspace) and for benchmarks
//! (`--tickets N`, many tickets fast). Both refuse a database that already has
//! tickets unless `--force`.

use std::time::Instant;

use app::auth::model::{Email, PersonName, Role};
use app::customers::store as customers;
use app::db;
use app::error::AppError;
use app::store::{now_ms, Db};
use app::teams::store as teams;
use app::tickets::model::{Priority, TicketTitle};
use app::tickets::store as tickets;

/// A small deterministic generator (xorshift64*): the same seed gives the same data,
/// so benchmark runs compare like with like.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const FIRST: &[&str] = &[
    "Ada", "Ben", "Cleo", "Dev", "Elena", "Femi", "Grace", "Hugo", "Iris", "Jonas", "Kemi", "Liam",
    "Maya", "Nils", "Olga", "Priya", "Quinn", "Rosa", "Sami", "Tara", "Umar", "Vera", "Wen",
    "Xavier", "Yara", "Zane", "Amir", "Bea", "Carlos", "Dana", "Eli", "Fatima", "Goran", "Hana",
    "Ivan", "Julia", "Kofi", "Lena", "Marco", "Nora",
];
const LAST: &[&str] = &[
    "Adams", "Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen",
    "Khan", "Larsen", "Moreau", "Novak", "Okafor", "Park", "Quist", "Rossi", "Silva", "Tanaka",
    "Ueda", "Vargas", "Weber", "Xu", "Yilmaz", "Zimmer", "Andersen", "Brandt", "Costa", "Dubois",
];
const COMPANY_A: &[&str] = &[
    "Acme",
    "Blue Harbor",
    "Cobalt",
    "Driftwood",
    "Evergreen",
    "Foxglove",
    "Granite",
    "Helix",
    "Ironbark",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Maple",
    "Northwind",
    "Orbit",
    "Pinecone",
    "Quarry",
    "Redwood",
    "Summit",
    "Tidewater",
];
const COMPANY_B: &[&str] = &["Labs", "Logistics", "Foods", "Health", "Studio", "Systems"];
const SUBJECTS: &[&str] = &[
    "Invoice",
    "Password reset",
    "Login",
    "Export to CSV",
    "Mobile app",
    "Two-factor code",
    "Subscription",
    "Refund",
    "Shipping label",
    "API key",
    "Webhook",
    "Calendar sync",
    "Email notifications",
    "Report",
    "Team invite",
    "Dashboard",
    "Payment",
    "Data import",
];
const PROBLEMS: &[&str] = &[
    "fails with an error",
    "is missing since Monday",
    "shows the wrong amount",
    "takes minutes to load",
    "cannot be downloaded",
    "was charged twice",
    "does not arrive",
    "stopped working after the update",
    "needs to be changed",
    "is asked about by our finance team",
];
// Message text for benchmarks: a greeting, two sentences and a sign-off picked by
// different strides of the row number, with an order number, so the search index
// holds a realistic spread of common and rare words.
const OPENINGS: &[&str] = &[
    "Hi team,",
    "Hello,",
    "Good morning,",
    "Hi there,",
    "Dear support,",
    "Thanks for the quick answer.",
    "Following up on this one.",
    "Quick update:",
];
const MIDDLES: &[&str] = &[
    "The export finished but the spreadsheet has empty columns for March.",
    "We tried again from another browser and the same message appears.",
    "Our accountant needs a corrected invoice with the new billing address.",
    "The mobile app crashes right after the splash screen on Android 14.",
    "I reset the password twice and the link in the email has already expired.",
    "The webhook delivery log shows a timeout after thirty seconds.",
    "Could you move the renewal date to the first of next month?",
    "Two people on my team never received the invitation email.",
    "The dashboard shows last week's numbers even after a refresh.",
    "Our warehouse printed the shipping label with the old postcode.",
    "The calendar sync duplicated every recurring meeting since Tuesday.",
    "We were charged for twelve seats although we only have nine users.",
    "The API returns a 429 response when we import more than a thousand rows.",
    "Please confirm whether the refund was sent to the original card.",
    "The two-factor code arrives minutes late, so it has expired by then.",
    "Searching the report by customer name returns nothing at all.",
];
const DETAILS: &[&str] = &[
    "Screenshots are attached.",
    "This blocks our month-end closing.",
    "It worked fine until the update on Friday.",
    "Nothing changed on our side as far as I know.",
    "Our IT department checked the firewall already.",
    "It happens for every user in the Berlin office.",
    "A colleague in Lisbon sees the same thing.",
    "Happy to jump on a call if that helps.",
    "I cleared the cache and cookies first.",
    "The error code was E-4012 this time.",
    "We use the Enterprise plan, if that matters.",
    "Let me know if you need the log files.",
];
const CLOSINGS: &[&str] = &[
    "Best regards",
    "Thanks!",
    "Cheers",
    "Kind regards",
    "Many thanks in advance",
    "Have a good day",
];

/// The SQL of one benchmark message's text, varied by the integer expression `x`.
fn message_sql(x: &str) -> String {
    format!(
        "{} || ' ' || {} || ' ' || {} || ' Order ' || (({x}) * 7919 % 1000003) || '. ' || {}",
        pick_sql(x, &quoted(OPENINGS)),
        pick_sql(&format!("({x}) / 8"), &quoted(MIDDLES)),
        pick_sql(&format!("({x}) / 128"), &quoted(DETAILS)),
        pick_sql(&format!("({x}) / 3"), &quoted(CLOSINGS)),
    )
}

const TAGS: &[&str] = &[
    "billing", "vip", "bug", "how-to", "feature", "outage", "mobile", "api",
];

fn person_name(rng: &mut Rng) -> (String, String) {
    let (f, l) = (*rng.pick(FIRST), *rng.pick(LAST));
    (
        format!("{f} {l}"),
        format!("{}.{}", f.to_lowercase(), l.to_lowercase()),
    )
}

fn title(rng: &mut Rng) -> String {
    format!("{} {}", rng.pick(SUBJECTS), rng.pick(PROBLEMS))
}

fn priority(rng: &mut Rng) -> Priority {
    match rng.below(100) {
        0..=14 => Priority::Low,
        15..=69 => Priority::Normal,
        70..=91 => Priority::High,
        _ => Priority::Urgent,
    }
}

async fn ticket_count(db: &Db) -> Result<i64, AppError> {
    Ok(
        db!(db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM tickets").fetch_one(pool).await)?,
    )
}

async fn refuse_if_filled(db: &Db, force: bool) -> Result<(), String> {
    let n = ticket_count(db).await.map_err(|e| e.to_string())?;
    if n > 0 && !force {
        return Err(format!(
            "the database already has {n} tickets: seed an empty database, or pass --force to add to it"
        ));
    }
    Ok(())
}

async fn team_named(db: &Db, name: &str) -> Result<i64, AppError> {
    let found: Option<i64> = db!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM teams WHERE lower(name) = lower($1)"
    ).bind(name).fetch_optional(pool).await)?;
    match found {
        Some(id) => Ok(id),
        None => teams::create_team(db, name).await,
    }
}

async fn user_named(db: &Db, email: &str) -> Result<Option<i64>, AppError> {
    Ok(
        db!(db, pool => sqlx::query_scalar::<_, i64>("SELECT id FROM users WHERE email = $1")
        .bind(email).fetch_optional(pool).await)?,
    )
}

/// `grip seed --demo`: 3 teams, 8 agents, 2 leads, 40 companies, 300 customers and 600
/// tickets with history, made through the same store functions the app uses. The
/// staff accounts share one password, generated and printed once.
pub async fn demo(db: &Db, force: bool) -> Result<(), String> {
    refuse_if_filled(db, force).await?;
    let started = Instant::now();
    let err = |e: AppError| e.to_string();
    let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
    let teams = [
        team_named(db, "Support").await.map_err(err)?,
        team_named(db, "Billing").await.map_err(err)?,
        team_named(db, "Onboarding").await.map_err(err)?,
    ];
    let password: String = {
        let alphabet = b"abcdefghijkmnpqrstuvwxyz23456789";
        let mut r = Rng::new(now_ms() as u64 ^ 0xa5a5_5a5a);
        (0..16)
            .map(|_| alphabet[r.below(alphabet.len())] as char)
            .collect()
    };
    let hash = app::auth::password::hash_password(password.clone())
        .await
        .map_err(err)?;
    // 2 leads then 8 agents, spread over the teams; the first two agents also help
    // a second team.
    let mut members: Vec<Vec<i64>> = vec![Vec::new(); 3];
    for i in 0..10 {
        let role = if i < 2 { Role::Lead } else { Role::Agent };
        let (name, handle) = person_name(&mut rng);
        let email = format!("{handle}.{i}@staff.grip.example");
        let id = match user_named(db, &email).await.map_err(err)? {
            Some(id) => id,
            None => {
                let new = app::auth::store::NewUser {
                    name: &PersonName::parse(&name).map_err(err)?,
                    email: &Email::parse(&email).map_err(err)?,
                    role,
                    password_hash: &hash,
                };
                app::auth::store::create_user(db, new, None, false)
                    .await
                    .map_err(err)?
            }
        };
        let team = i % 3;
        teams::add_member(db, teams[team], id).await.map_err(err)?;
        members[team].push(id);
        if (2..4).contains(&i) {
            let other = (team + 1) % 3;
            teams::add_member(db, teams[other], id).await.map_err(err)?;
            members[other].push(id);
        }
    }
    let mut companies = Vec::new();
    for i in 0..40 {
        let name = format!(
            "{} {}",
            COMPANY_A[i % COMPANY_A.len()],
            COMPANY_B[i / COMPANY_A.len() % COMPANY_B.len()]
        );
        companies.push((
            customers::find_or_create_company(db, &name)
                .await
                .map_err(err)?,
            name,
        ));
    }
    let mut customers = Vec::new();
    for i in 0..300 {
        let (name, handle) = person_name(&mut rng);
        let (company, company_name) = rng.pick(&companies).clone();
        let domain: String = company_name.to_lowercase().replace(' ', "");
        let email = Email::parse(&format!("{handle}{i}@{domain}.example")).map_err(err)?;
        let id = match customers::find_customer_by_email(db, &email)
            .await
            .map_err(err)?
        {
            Some(id) => id,
            None => customers::create_customer(
                db,
                &PersonName::parse(&name).map_err(err)?,
                &email,
                (i % 5 != 0).then_some(company),
            )
            .await
            .map_err(err)?,
        };
        customers.push(id);
    }
    let now = now_ms();
    let day = 86_400_000;
    for i in 0..600 {
        let team = i % 3;
        let actor = *rng.pick(&members[team]);
        let title = TicketTitle::parse(&title(&mut rng)).map_err(err)?;
        let tags: Vec<String> = (0..rng.below(3))
            .map(|_| rng.pick(TAGS).to_string())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let due_at = rng
            .chance(40)
            .then(|| now + (rng.below(30) as i64 - 10) * day);
        let new = tickets::NewTicket {
            title: &title,
            description: "Hello, could you help with this? Thanks!",
            customer_id: Some(*rng.pick(&customers)),
            team_id: teams[team],
            priority: priority(&mut rng),
            assignee_id: rng.chance(70).then(|| *rng.pick(&members[team])),
            tags: &tags,
            due_at,
            company_id: None,
            from_portal: false,
        };
        let t = tickets::create_ticket(db, actor, new).await.map_err(err)?;
        // History: move most tickets along the pipeline, some all the way to done.
        let stages = teams::team_stages(db, teams[team]).await.map_err(err)?;
        let steps = rng.below(stages.len());
        for stage in stages.iter().skip(1).take(steps) {
            tickets::move_ticket(
                db,
                *rng.pick(&members[team]),
                t.id,
                stage.id,
                Default::default(),
            )
            .await
            .map_err(err)?;
        }
    }
    // Spread the creation (and last-change) times over the last 60 days so ages look
    // real; a ticket's last change stays after its creation.
    write(async {
        app::write_tx!(db, single conn => sqlx::query(
            "UPDATE tickets SET created_at = created_at - (id % 60) * 86400000 - (id % 24) * 3600000,
                                updated_at = updated_at - ((id % 60) / 2) * 86400000"
        ).execute(&mut *conn).await.map(|_| ()).map_err(AppError::from))
    })
    .await?;
    println!(
        "demo workspace seeded in {:.1}s: 3 teams, 10 staff (2 leads, 8 agents), 40 companies, 300 customers, 600 tickets",
        started.elapsed().as_secs_f64()
    );
    println!(
        "the demo staff accounts (listed in Admin → People) sign in with the password: {password}"
    );
    Ok(())
}

/// A SQL `CASE` that picks `values[key % len]`.
fn pick_sql(key: &str, values: &[String]) -> String {
    let mut sql = format!("CASE ({key}) % {}", values.len());
    for (i, v) in values.iter().enumerate() {
        sql.push_str(&format!(" WHEN {i} THEN {v}"));
    }
    sql.push_str(" END");
    sql
}

fn quoted(items: &[&str]) -> Vec<String> {
    items
        .iter()
        .map(|s| format!("'{}'", s.replace('\'', "''")))
        .collect()
}

/// How `grip seed --tickets N` fills the database besides the tickets themselves.
#[derive(Debug, Clone, Copy)]
pub struct Volume {
    /// Customers the tickets are spread over (each has a block of consecutive tickets).
    pub customers: u64,
    /// Messages per ticket: the customer's and staff's in turn (a fifth of staff's
    /// are internal notes), with realistic text (see `MIDDLES`).
    pub messages: u64,
}

/// `grip seed --tickets N`: N tickets for benchmarks, each with a description, a
/// customer (`volume.customers` of them), `volume.messages` messages and its "created"
/// audit row. The rows are generated by the database itself (`INSERT … SELECT` over a
/// counter), 100,000 tickets per transaction, so the search indexes are kept by the
/// same triggers and generated columns as every other write. `open` of them (spread
/// over the open and waiting stages, in board order) are on the board of the team
/// named `team`; the rest are completed there.
pub async fn tickets_fast(
    db: &Db,
    n: u64,
    open: u64,
    team: &str,
    force: bool,
    volume: Volume,
) -> Result<(), String> {
    refuse_if_filled(db, force).await?;
    let started = Instant::now();
    let err = |e: AppError| e.to_string();
    let sql_err = |e: sqlx::Error| e.to_string();
    let team_id = team_named(db, team).await.map_err(err)?;
    let stages = teams::team_stages(db, team_id).await.map_err(err)?;
    let open_stages: Vec<i64> = stages
        .iter()
        .filter(|s| s.kind != app::tickets::model::StageKind::Done)
        .map(|s| s.id)
        .collect();
    let done_stage = stages
        .iter()
        .find(|s| s.kind == app::tickets::model::StageKind::Done)
        .ok_or("the team has no done stage")?
        .id;
    if open_stages.is_empty() {
        return Err("the team has no open stage".into());
    }
    let members: Vec<String> = teams::team_members(db, team_id)
        .await
        .map_err(err)?
        .into_iter()
        .map(|m| m.0.to_string())
        .collect();
    let now = now_ms();
    let last_sql = match db {
        Db::Sqlite(..) => "SELECT value FROM counters WHERE name = 'ticket_number'",
        Db::Postgres(_) => "SELECT last_value FROM ticket_number_seq",
    };
    let base_number: i64 =
        db!(db, pool => sqlx::query_scalar::<_, i64>(last_sql).fetch_one(pool).await)
            .map_err(sql_err)?;
    let customer_base: i64 = db!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COALESCE(MAX(id), 0) FROM customers"
    ).fetch_one(pool).await)
    .map_err(sql_err)?;
    let customers = volume.customers.clamp(1, n.max(1)) as i64;
    let n = n as i64;
    let done_count = n - open as i64;
    let run = format!("{now:x}");
    // Open cards get 8-digit ranks that step evenly upwards from the middle of the
    // space ('i' and seven hex digits), as cards added by people do: room for
    // millions of cards above and below them.
    let per_stage = (open as i64 / open_stages.len() as i64 + 1).max(1);
    let step = (16i64.pow(7) / (per_stage + 1)).clamp(1, 46_656);
    let hex8 = |x: &str| match db {
        Db::Sqlite(..) => format!("printf('i%07x', {x})"),
        Db::Postgres(_) => format!("'i' || lpad(to_hex({x}), 7, '0')"),
    };
    let counter =
        "WITH RECURSIVE n(i) AS (SELECT $1 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $2)";

    // Customers.
    let first = quoted(FIRST);
    let last = quoted(LAST);
    let customer_sql = format!(
        "{counter} INSERT INTO customers (id, name, email, company_id, created_at, updated_at)
         SELECT {customer_base} + 1 + i, {} || ' ' || {}, 'bench.{run}.' || i || '@bench.example', NULL, {now}, {now} FROM n",
        pick_sql("i", &first),
        pick_sql("i / 7", &last),
    );
    let chunk: i64 = 100_000;
    let mut from = 0i64;
    while from < customers {
        let to = (from + chunk).min(customers);
        write(async {
            app::write_tx!(db, single conn => sqlx::query(&customer_sql).bind(from).bind(to)
                .execute(&mut *conn).await.map(|_| ()).map_err(AppError::from))
        })
        .await?;
        // Their addresses, which mail and the New ticket form find them by.
        write(async {
            app::write_tx!(db, single conn => sqlx::query(
                "INSERT INTO customer_emails (email, customer_id, created_at)
                 SELECT email, id, created_at FROM customers WHERE id > $1 AND id <= $2")
                .bind(customer_base + from).bind(customer_base + to)
                .execute(&mut *conn).await.map(|_| ()).map_err(AppError::from))
        })
        .await?;
        from = to;
    }

    // Tickets, then their audit rows.
    let open_j = format!("(i - {done_count})");
    let open_stage_ids: Vec<String> = open_stages.iter().map(|s| s.to_string()).collect();
    let subjects = quoted(SUBJECTS);
    let problems = quoted(PROBLEMS);
    let assignee = if members.is_empty() {
        "NULL".to_string()
    } else {
        format!(
            "CASE WHEN i % 10 < 7 THEN {} ELSE NULL END",
            pick_sql("i / 10", &members)
        )
    };
    let rank = hex8(&format!(
        "({open_j} / {k} + 1) * {step}",
        k = open_stages.len()
    ));
    let ticket_sql = format!(
        "{counter} INSERT INTO tickets (number, title, description, customer_id, team_id, stage_id, rank, priority,
                                        assignee_id, due_at, created_by, created_at, updated_at, activity_at, completed_at)
         SELECT {base_number} + 1 + i,
                {} || ' ' || {},
                {description},
                {customer_base} + 1 + i * {customers} / {n},
                {team_id},
                CASE WHEN i >= {done_count} THEN {} ELSE {done_stage} END,
                CASE WHEN i >= {done_count} THEN {rank} ELSE '00000000' END,
                CASE WHEN (i * 37) % 100 < 15 THEN 'low' WHEN (i * 37) % 100 < 70 THEN 'normal'
                     WHEN (i * 37) % 100 < 92 THEN 'high' ELSE 'urgent' END,
                {assignee},
                CASE WHEN i % 10 < 3 THEN {now} + (i % 40 - 10) * 86400000 ELSE NULL END,
                NULL,
                {now} - ({n} - i) * 2000 - 3600000,
                {now} - ({n} - i) * 2000 - 3600000,
                {now} - ({n} - i) * 2000 - 3600000,
                CASE WHEN i < {done_count} THEN {now} - ({n} - i) * 1000 ELSE NULL END
           FROM n",
        pick_sql("i", &subjects),
        pick_sql("i / 18", &problems),
        pick_sql(&open_j, &open_stage_ids),
        description = message_sql("i"),
    );
    let audit_sql = format!(
        "INSERT INTO audit_log (actor_id, entity, entity_id, action, field, old_value, new_value, at)
         SELECT NULL, 'ticket', id, 'created', NULL, NULL, '#' || number, created_at FROM tickets
          WHERE number > {base_number} + $1 AND number <= {base_number} + $2"
    );
    // Messages: even ones from the customer, odd ones from a team member (a fifth of
    // those internal notes), a minute apart after the ticket was opened.
    let staff = members.first().cloned().unwrap_or_else(|| "NULL".into());
    let message_sql = format!(
        "WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j + 1 < {m})
         INSERT INTO messages (ticket_id, author_id, customer_id, internal, body, created_at)
         SELECT t.id,
                CASE WHEN j % 2 = 1 THEN CAST({staff} AS BIGINT) ELSE NULL END,
                CASE WHEN j % 2 = 0 THEN t.customer_id ELSE NULL END,
                CASE WHEN j % 2 = 1 AND (t.number + j) % 5 = 0 THEN TRUE ELSE FALSE END,
                {body},
                t.created_at + (j + 1) * 60000
           FROM tickets t CROSS JOIN k
          WHERE t.number > {base_number} + $1 AND t.number <= {base_number} + $2",
        m = volume.messages.max(1),
        body = message_sql("t.number * 13 + j * 7"),
    );
    let mut from = 0i64;
    while from < n {
        let to = (from + chunk).min(n);
        write(async {
            app::write_tx!(db, tx => async {
                sqlx::query(&ticket_sql).bind(from).bind(to).execute(&mut *tx).await?;
                sqlx::query(&audit_sql).bind(from).bind(to).execute(&mut *tx).await?;
                if volume.messages > 0 {
                    sqlx::query(&message_sql).bind(from).bind(to).execute(&mut *tx).await?;
                }
                Ok(())
            }.await)
        })
        .await?;
        from = to;
        if to < n {
            eprintln!(
                "… {to} of {n} tickets ({:.0}s)",
                started.elapsed().as_secs_f64()
            );
        }
    }
    let last_number = base_number + n;
    write(async {
        app::write_tx!(db, single conn => sqlx::query("UPDATE counters SET value = $1 WHERE name = 'ticket_number' AND value < $1")
            .bind(last_number).execute(&mut *conn).await.map(|_| ()).map_err(AppError::from))
    })
    .await?;
    match db {
        Db::Postgres(pool) => {
            // Customers were given explicit ids: move their sequence past them, and
            // refresh the planner's statistics for the new volume.
            sqlx::query("SELECT setval(pg_get_serial_sequence('customers', 'id'), (SELECT MAX(id) FROM customers))")
                .execute(pool).await.map_err(sql_err)?;
            sqlx::query(
                "SELECT setval('ticket_number_seq', GREATEST($1, (SELECT last_value FROM ticket_number_seq)))",
            )
            .bind(last_number)
            .execute(pool)
            .await
            .map_err(sql_err)?;
            sqlx::query("ANALYZE")
                .execute(pool)
                .await
                .map_err(sql_err)?;
        }
        Db::Sqlite(pool, _) => {
            sqlx::query("ANALYZE")
                .execute(pool)
                .await
                .map_err(sql_err)?;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "seeded {n} tickets ({open} open on the {team} board), {} messages and {customers} customers in {secs:.1}s ({:.0} tickets/s)",
        n as u64 * volume.messages,
        n as f64 / secs
    );
    Ok(())
}

/// For the portal benchmark: puts the customers of the newest `n` tickets into one
/// company ("Bench Company") and gives the first of them a verified portal account
/// that manages it (so its list holds about `n` tickets). Prints the account's email
/// and its generated password.
pub async fn portal_company(db: &Db, n: u64) -> Result<(), String> {
    let err = |e: AppError| e.to_string();
    let now = now_ms();
    let password: String = {
        let alphabet = b"abcdefghijkmnpqrstuvwxyz23456789";
        let mut r = Rng::new(now as u64 ^ 0x5a5a_a5a5);
        (0..16)
            .map(|_| alphabet[r.below(alphabet.len())] as char)
            .collect()
    };
    let hash = app::auth::password::hash_password(password.clone())
        .await
        .map_err(err)?;
    let email: String = write(async {
        app::write_tx!(db, tx => async {
            let company: i64 = sqlx::query_scalar(
                "INSERT INTO companies (name, created_at, updated_at) VALUES ('Bench Company', $1, $1) RETURNING id",
            )
            .bind(now).fetch_one(&mut *tx).await?;
            sqlx::query(
                "UPDATE customers SET company_id = $1 WHERE id IN (
                    SELECT customer_id FROM (SELECT customer_id FROM tickets ORDER BY id DESC LIMIT $2) newest)",
            )
            .bind(company).bind(n as i64).execute(&mut *tx).await?;
            // Their tickets are for the company (the members joined after writing them).
            sqlx::query(
                "UPDATE tickets SET company_id = $1 WHERE customer_id IN (SELECT id FROM customers WHERE company_id = $1)",
            )
            .bind(company).execute(&mut *tx).await?;
            let email: String = sqlx::query_scalar(
                "SELECT email FROM customers WHERE company_id = $1 ORDER BY id LIMIT 1",
            )
            .bind(company).fetch_one(&mut *tx).await?;
            sqlx::query(
                "UPDATE company_members SET role = 'manager'
                  WHERE company_id = $1 AND customer_id = (SELECT id FROM customers WHERE email = $2)",
            )
            .bind(company).bind(&email).execute(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO users (email, name, role, password_hash, active, created_at, updated_at, verified_at)
                 VALUES ($1, 'Bench Manager', 'customer', $2, TRUE, $3, $3, $3)",
            )
            .bind(&email).bind(&hash).bind(now).execute(&mut *tx).await?;
            Ok::<_, AppError>(email)
        }.await)
    })
    .await?;
    println!("portal manager of Bench Company: {email} password {password}");
    Ok(())
}

/// One of the seed's bulk writes (through [`app::write_tx!`], like every write), its
/// failure in words for the command line (the details are logged).
async fn write<T>(
    run: impl std::future::Future<Output = Result<T, AppError>>,
) -> Result<T, String> {
    run.await.map_err(|e| e.to_string())
}
