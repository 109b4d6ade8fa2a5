//! The permission matrix, on both backends: every registered server function, every
//! page and every other route, called by each of nine kinds of caller with *valid*
//! arguments for a real record (a ticket of team A for a customer of company Acme,
//! its messages and files, team A's canned replies and stages, fresh records where a
//! call would use one up), and the outcome each may get. The functions come from the
//! registry, the pages from the app's route list and the other routes from the
//! router's source, so a new one without a row fails here.
//!
//! Every answer to a caller outside team A's staff is also searched for secrets they
//! must never see: an internal note, the name of a file attached to it, another
//! customer's ticket title and another company's name.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU32, Ordering};

use app::auth::model::{Email, PersonName};
use app::customers::store as customers;
use app::teams::model::StageKind;
use app::teams::store as teams;
use app::tickets::store::{self, TicketRow};
use axum::body::Body;
use http::{header, Request};

use crate::common::{Reply, TestApp, ADMIN_PASSWORD, STAFF_PASSWORD};
use crate::on_both_backends;

on_both_backends!(every_function_page_and_route_answers_each_kind_of_caller_as_the_matrix_says);

/// The kinds of caller, in the order of the matrix's columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    Anonymous,
    /// A customer of company Acme; team A's ticket T1 is theirs.
    Customer,
    /// The manager of company Acme (sees the company's tickets).
    Manager,
    /// A customer of company Globex.
    OtherCustomer,
    AgentA,
    AgentB,
    LeadA,
    LeadB,
    Admin,
}

const CALLERS: [Caller; 9] = [
    Caller::Anonymous,
    Caller::Customer,
    Caller::Manager,
    Caller::OtherCustomer,
    Caller::AgentA,
    Caller::AgentB,
    Caller::LeadA,
    Caller::LeadB,
    Caller::Admin,
];

const COLUMNS: &str = "anon cust mgr other agentA agentB leadA leadB admin";

/// The month of the audit trail archived in the world.
const ARCHIVED: &str = "2020-01";

// Secrets planted in the world; see `forbidden`.
const NOTE: &str = "Note-secret-1a9c";
const NOTE_FILE: &str = "Internal-file-2b7d.txt";
const TITLE_T1: &str = "Ticket-of-Cara-7c1e";
const TITLE_T2: &str = "Ticket-of-Yuri-3f8a";
const ACME: &str = "Acme-Company-9d2f";
const GLOBEX: &str = "Globex-Company-5e4b";

/// What `caller` must never find in any answer.
fn forbidden(caller: Caller) -> &'static [&'static str] {
    match caller {
        Caller::Anonymous => &[NOTE, NOTE_FILE, TITLE_T1, TITLE_T2, ACME, GLOBEX],
        Caller::Customer | Caller::Manager => &[NOTE, NOTE_FILE, TITLE_T2, GLOBEX],
        Caller::OtherCustomer => &[NOTE, NOTE_FILE, TITLE_T1, ACME],
        Caller::AgentB | Caller::LeadB => &[NOTE, NOTE_FILE, TITLE_T1, TITLE_T2],
        Caller::AgentA | Caller::LeadA | Caller::Admin => &[],
    }
}

// Outcomes, one token per column: `ok` a 2xx, or a redirect onwards (a form post's
// to its result: `?submitted=1`, `?sent=1`); `back` a form post's redirect back to
// its form (refused); `login` a redirect to the sign-in page; or the status itself.
const PUBLIC: &str = "ok ok ok ok ok ok ok ok ok";
const SIGNED_IN: &str = "401 ok ok ok ok ok ok ok ok";
const STAFF: &str = "401 403 403 403 ok ok ok ok ok";
/// A team A record: its staff (and admins) only; to anyone else's staff it does not
/// exist.
const TEAM_A: &str = "401 403 403 403 ok 404 ok 404 ok";
/// Team A chosen by id: other teams' staff are refused.
const TEAM_A_CHOSEN: &str = "401 403 403 403 ok 403 ok 403 ok";
/// Team A's settings: its lead and admins.
const TEAM_A_LEAD: &str = "401 403 403 403 403 403 ok 403 ok";
/// A record of team A's settings (a stage, a canned reply) by id.
const TEAM_A_LEAD_RECORD: &str = "401 403 403 403 403 403 ok 404 ok";
const ADMIN: &str = "401 403 403 403 403 403 403 403 ok";
/// The customer's ticket in the portal: theirs and their company manager's; staff look
/// at the portal as it is for them (no tickets).
const PORTAL_T1: &str = "401 ok ok 404 404 404 404 404 404";

const STAFF_PAGE: &str = "login 403 403 403 ok ok ok ok ok";
const TEAM_A_PAGE: &str = "login 403 403 403 ok 404 ok 404 ok";
const LEAD_PAGE: &str = "login 403 403 403 403 403 ok ok ok";
const ADMIN_PAGE: &str = "login 403 403 403 403 403 403 403 ok";
const PORTAL_PAGE: &str = "login ok ok ok ok ok ok ok ok";

/// The matrix: every server function, page and route with its expected outcomes.
/// Pages are named by their route pattern, other routes by method and pattern.
const MATRIX: &[(&str, &str)] = &[
    // Accounts and sessions.
    ("/api/session", PUBLIC),
    ("/api/login", PUBLIC),
    ("/api/logout", PUBLIC),
    ("/api/setup", "404 404 404 404 404 404 404 404 404"),
    ("/api/register", PUBLIC),
    ("/api/register/check", PUBLIC),
    ("/api/register/finish", PUBLIC),
    ("/api/verify/resend", SIGNED_IN),
    ("/api/password/forgot", PUBLIC),
    ("/api/password/reset/check", PUBLIC),
    ("/api/password/reset", PUBLIC),
    ("/api/account/time-zone", SIGNED_IN),
    // Admin.
    ("/api/admin/people", ADMIN),
    ("/api/admin/people/create", ADMIN),
    ("/api/admin/people/role", ADMIN),
    ("/api/admin/people/active", ADMIN),
    ("/api/admin/outbox", ADMIN),
    ("/api/admin/audit", ADMIN),
    ("/api/admin/audit/archives", ADMIN),
    ("/api/admin/audit/retention", ADMIN),
    ("/api/admin/audit/restore", ADMIN),
    ("/api/admin/audit/archive", ADMIN),
    ("/api/admin/customers", ADMIN),
    ("/api/admin/customers/company", ADMIN),
    ("/api/admin/teams", ADMIN),
    ("/api/admin/teams/create", ADMIN),
    ("/api/admin/teams/rename", ADMIN),
    ("/api/admin/teams/archive", ADMIN),
    ("/api/admin/teams/portal", ADMIN),
    ("/api/admin/teams/member", ADMIN),
    // Team settings.
    ("/api/team/settings", TEAM_A_LEAD),
    ("/api/team/stages/add", TEAM_A_LEAD),
    ("/api/team/stages/update", TEAM_A_LEAD_RECORD),
    ("/api/team/stages/move", TEAM_A_LEAD_RECORD),
    ("/api/team/stages/remove", TEAM_A_LEAD_RECORD),
    ("/api/canned/create", TEAM_A_LEAD_RECORD),
    ("/api/canned/update", TEAM_A_LEAD_RECORD),
    ("/api/canned/delete", TEAM_A_LEAD_RECORD),
    ("/api/canned/list", TEAM_A),
    ("/api/canned/fill", TEAM_A),
    // The board, the list and tickets.
    ("/api/board", TEAM_A_CHOSEN),
    ("/api/board/move", TEAM_A),
    ("/api/tickets/list", TEAM_A_CHOSEN),
    ("/api/tickets/bulk", TEAM_A_CHOSEN),
    ("/api/tickets/options", STAFF),
    // Another team's staff are refused next to the form's team field.
    ("/api/tickets/create", "401 403 403 403 ok 422 ok 422 ok"),
    ("/api/tickets/get", TEAM_A),
    ("/api/tickets/update", TEAM_A),
    ("/api/tickets/side", TEAM_A),
    ("/api/tickets/merge", TEAM_A),
    ("/api/tickets/link", TEAM_A),
    ("/api/tickets/unlink", TEAM_A),
    ("/api/tickets/messages/post", TEAM_A),
    (
        "/api/tickets/messages/delete",
        "401 403 403 403 403 404 403 404 ok",
    ),
    (
        "/api/tickets/attachments/discard",
        "401 404 404 404 ok 404 404 404 404",
    ),
    ("/api/drafts/save", TEAM_A),
    ("/api/drafts/discard", STAFF),
    ("/api/time/start", TEAM_A),
    ("/api/time/stop", TEAM_A),
    ("/api/time/add", TEAM_A),
    ("/api/customers/search", STAFF),
    // Search finds team A's ticket by number for its staff only (see `forbidden`).
    ("/api/search", STAFF),
    ("/api/customers/list", STAFF),
    ("/api/customers/owners", STAFF),
    // A customer's page: their record to all staff, their tickets and messages only
    // from the viewer's boards (searched for team A's secrets below).
    ("/api/customers/page", STAFF),
    ("/api/customers/create", STAFF),
    ("/api/customers/update", STAFF),
    ("/api/customers/delete", ADMIN),
    ("/api/customers/merge", STAFF),
    ("/api/customers/merge-undo", STAFF),
    ("/api/customers/duplicates", STAFF),
    // Companies: records to all staff; a company's tickets only from the viewer's
    // boards (searched for team A's secrets below).
    ("/api/companies/list", STAFF),
    ("/api/companies/page", STAFF),
    ("/api/companies/create", STAFF),
    ("/api/companies/update", STAFF),
    ("/api/companies/delete", ADMIN),
    ("/api/companies/member", STAFF),
    ("/api/companies/member-remove", STAFF),
    // The portal.
    ("/api/portal/home", SIGNED_IN),
    ("/api/portal/new-form", SIGNED_IN),
    ("/api/portal/ticket", PORTAL_T1),
    ("/api/portal/close", PORTAL_T1),
    ("/api/portal/reopen", PORTAL_T1),
    // Pages.
    ("/", "login ok ok ok ok ok ok ok ok"),
    ("/setup", "404 404 404 404 404 404 404 404 404"),
    ("/login", PUBLIC),
    ("/board", STAFF_PAGE),
    ("/command", STAFF_PAGE),
    ("/tickets", STAFF_PAGE),
    ("/tickets/new", STAFF_PAGE),
    ("/tickets/{number}", TEAM_A_PAGE),
    ("/customers", STAFF_PAGE),
    ("/search", STAFF_PAGE),
    // `/customers/new` and a customer's page (one route; see `visit`).
    ("/customers/{*any}", STAFF_PAGE),
    ("/companies", STAFF_PAGE),
    // `/companies/new` and a company's page (one route; see `visit`).
    ("/companies/{*any}", STAFF_PAGE),
    ("/team", LEAD_PAGE),
    ("/admin", ADMIN_PAGE),
    // People, Teams, Customers, Outbox and Audit (one route; see `visit`).
    ("/admin/{*any}", ADMIN_PAGE),
    ("/portal", PORTAL_PAGE),
    ("/portal/new", PORTAL_PAGE),
    (
        "/portal/tickets/{number}",
        "login ok ok 404 404 404 404 404 404",
    ),
    ("/portal/register", PUBLIC),
    ("/portal/verify", PUBLIC),
    ("/forgot", PUBLIC),
    ("/reset", PUBLIC),
    // Other routes.
    ("GET /healthz", PUBLIC),
    ("GET /admin/audit.csv", ADMIN),
    ("GET /admin/audit/archives/{month}", ADMIN),
    ("POST /attachments", "401 ok ok 404 ok 404 ok 404 ok"),
    (
        "GET /attachments/{id}/{name}",
        "401 ok ok 404 ok 404 ok 404 ok",
    ),
    (
        "GET /attachments/{id}/{name} (internal note's)",
        "401 404 404 404 ok 404 ok 404 ok",
    ),
    // Staff are sent back to the form, whose page says why (not a customer account).
    (
        "POST /portal/new",
        "login ok ok ok back back back back back",
    ),
    (
        "POST /portal/tickets/{number}/reply",
        "login ok ok 404 404 404 404 404 404",
    ),
];

/// The records the calls are about, and who calls.
struct World {
    team_a: i64,
    stages_a: Vec<i64>,
    t1: TicketRow,
    cara: i64,
    /// Company Acme (T1 is for it).
    acme: i64,
    admin_id: i64,
    agent_a_id: i64,
    canned_a: i64,
    reply_file: (i64, String),
    note_file: (i64, String),
    emails: [&'static str; 9],
    cookies: [Option<String>; 9],
    hash: String,
    next: AtomicU32,
}

impl World {
    fn fresh(&self) -> u32 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }

    fn password(&self, caller: Caller) -> &'static str {
        if caller == Caller::Admin {
            ADMIN_PASSWORD
        } else {
            STAFF_PASSWORD
        }
    }

    /// A ticket of team A for the customer of company Acme, made for one call.
    async fn ticket(&self, app: &TestApp) -> TicketRow {
        let title = format!("Scratch ticket {}", self.fresh());
        crate::common::ticket_for(&app.db, self.admin_id, self.team_a, self.cara, &title).await
    }

    async fn user(&self, app: &TestApp, role: app::auth::Role) -> (i64, String) {
        let email = format!("scratch{}@example.com", self.fresh());
        let id = app::auth::store::create_user(
            &app.db,
            app::auth::store::NewUser {
                name: &PersonName::parse("Scratch Person").unwrap(),
                email: &Email::parse(&email).unwrap(),
                role,
                password_hash: &self.hash,
            },
            None,
            false,
        )
        .await
        .unwrap();
        (id, email)
    }

    async fn stage(&self, app: &TestApp) -> i64 {
        let name = format!("Scratch {}", self.fresh());
        teams::add_stage(&app.db, self.team_a, &name, StageKind::Open, None)
            .await
            .unwrap()
            .id
    }

    /// The raw token of the newest link mailed to `to`.
    async fn token_mailed_to(&self, app: &TestApp, to: &str) -> String {
        let body: String = app::db!(&app.db, pool => sqlx::query_scalar::<_, String>(
            "SELECT body FROM outbox WHERE to_addr = $1 ORDER BY id DESC LIMIT 1"
        ).bind(to).fetch_one(pool).await)
        .unwrap();
        let start = body.find("token=").expect("a link") + 6;
        body[start..]
            .chars()
            .take_while(|c| c.is_ascii_hexdigit())
            .collect()
    }

    async fn registration_token(&self, app: &TestApp) -> String {
        let email = format!("newcomer{}@example.com", self.fresh());
        app::auth::links::start_registration(
            &app.db,
            &app.state.outbox,
            &PersonName::parse("New Comer").unwrap(),
            &Email::parse(&email).unwrap(),
            "http://grip.test",
        )
        .await
        .unwrap();
        self.token_mailed_to(app, &email).await
    }

    async fn reset_token(&self, app: &TestApp) -> String {
        let (_, email) = self.user(app, app::auth::Role::Customer).await;
        app::auth::links::request_reset(
            &app.db,
            &app.state.outbox,
            &Email::parse(&email).unwrap(),
            "http://grip.test",
        )
        .await
        .unwrap();
        self.token_mailed_to(app, &email).await
    }

    /// A new session for `caller`, for a call that signs in or out.
    async fn fresh_session(&self, app: &TestApp, caller: Caller, ip: &str) -> Option<String> {
        let i = caller as usize;
        if caller == Caller::Anonymous {
            return None;
        }
        let r = send(
            app,
            "/api/login",
            &[
                ("email", self.emails[i].into()),
                ("password", self.password(caller).into()),
            ],
            None,
            ip,
        )
        .await;
        assert_eq!(r.status, 200, "signing {caller:?} in again: {}", r.body);
        r.cookie()
    }
}

/// Calls a server function as the hydrated app does, from the client address `ip`
/// (each call its own, so the per-address limits of the public forms stay out of the
/// way).
async fn send(
    app: &TestApp,
    path: &str,
    form: &[(&str, String)],
    cookie: Option<&str>,
    ip: &str,
) -> Reply {
    let body = form
        .iter()
        .map(|(k, v)| format!("{}={}", crate::common::enc(k), crate::common::enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    let mut b = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .header(header::HOST, "grip.test")
        .header(header::ORIGIN, "http://grip.test")
        .header("x-forwarded-for", ip);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    app.send(b.body(Body::from(body)).unwrap()).await
}

async fn page(app: &TestApp, path: &str, cookie: Option<&str>, ip: &str) -> Reply {
    let mut b = Request::get(path)
        .header(header::ACCEPT, "text/html")
        .header(header::HOST, "grip.test")
        .header("x-forwarded-for", ip);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    app.send(b.body(Body::empty()).unwrap()).await
}

/// The pages of one route (an area such as `/admin/{*any}`) visited in turn: their
/// answer when all answer alike (the bodies joined, for the search for secrets), a
/// 599 naming each page's status when they do not.
async fn pages_alike(app: &TestApp, paths: &[String], cookie: Option<&str>, ip: &str) -> Reply {
    let mut replies = Vec::new();
    for path in paths {
        replies.push((path, page(app, path, cookie, ip).await));
    }
    let first = replies[0].1.status;
    if replies.iter().all(|(_, r)| r.status == first) {
        let body: String = replies.iter().map(|(_, r)| r.body.as_str()).collect();
        let mut last = replies.pop().unwrap().1;
        last.body = body;
        last
    } else {
        let statuses: Vec<String> = replies
            .iter()
            .map(|(p, r)| format!("{p}: {}", r.status))
            .collect();
        Reply {
            status: http::StatusCode::from_u16(599).unwrap(),
            headers: http::HeaderMap::new(),
            body: statuses.join(", "),
            bytes: Vec::new(),
        }
    }
}

async fn build_world(app: &TestApp) -> World {
    let admin = app.setup_admin().await;
    let admin_id: i64 = app::db!(&app.db, pool => sqlx::query_scalar("SELECT id FROM users WHERE email = 'ada@example.com'").fetch_one(pool).await).unwrap();
    let hash = app::auth::password::hash_password(STAFF_PASSWORD.into())
        .await
        .unwrap();
    let team_a = teams::default_team_id(&app.db).await.unwrap();
    let team_b = teams::create_team(&app.db, "Team B").await.unwrap();
    let acme = customers::create_company(&app.db, ACME).await.unwrap();
    let globex = customers::create_company(&app.db, GLOBEX).await.unwrap();
    let emails = [
        "",
        "cara@acme.example",
        "max@acme.example",
        "yuri@globex.example",
        "agent.a@example.com",
        "agent.b@example.com",
        "lead.a@example.com",
        "lead.b@example.com",
        "ada@example.com",
    ];
    let mut ids = [0i64; 9];
    let mut customer_ids = [0i64; 9];
    for caller in CALLERS {
        let i = caller as usize;
        let (role, company, team) = match caller {
            Caller::Anonymous | Caller::Admin => continue,
            Caller::Customer | Caller::Manager => (app::auth::Role::Customer, Some(acme), None),
            Caller::OtherCustomer => (app::auth::Role::Customer, Some(globex), None),
            Caller::AgentA => (app::auth::Role::Agent, None, Some(team_a)),
            Caller::AgentB => (app::auth::Role::Agent, None, Some(team_b)),
            Caller::LeadA => (app::auth::Role::Lead, None, Some(team_a)),
            Caller::LeadB => (app::auth::Role::Lead, None, Some(team_b)),
        };
        let name = PersonName::parse(&format!("{caller:?} Person")).unwrap();
        let email = Email::parse(emails[i]).unwrap();
        ids[i] = app::auth::store::create_user(
            &app.db,
            app::auth::store::NewUser {
                name: &name,
                email: &email,
                role,
                password_hash: &hash,
            },
            None,
            false,
        )
        .await
        .unwrap();
        if let Some(company) = company {
            customer_ids[i] = customers::create_customer(&app.db, &name, &email, Some(company))
                .await
                .unwrap();
        }
        if let Some(team) = team {
            teams::add_member(&app.db, team, ids[i]).await.unwrap();
        }
    }
    customers::set_company(
        &app.db,
        admin_id,
        customer_ids[Caller::Manager as usize],
        ACME,
        true,
    )
    .await
    .unwrap();
    let mut cookies: [Option<String>; 9] = Default::default();
    for caller in CALLERS {
        let i = caller as usize;
        cookies[i] = match caller {
            Caller::Anonymous => None,
            Caller::Admin => Some(admin.clone()),
            _ => Some(app.signed_in(emails[i], STAFF_PASSWORD).await),
        };
    }
    // T1: the customer's ticket in team A, with a reply carrying a file and an internal
    // note carrying another; T2: the other company's customer's ticket in team A.
    let cara = customer_ids[Caller::Customer as usize];
    let t1 = crate::common::ticket_for(&app.db, admin_id, team_a, cara, TITLE_T1).await;
    // An archived month of the audit trail, one row in it.
    let archived = app::audit::archive::Month::parse(ARCHIVED).unwrap();
    app::db!(&app.db, pool => sqlx::query(
        "INSERT INTO audit_log (actor_id, entity, entity_id, action, at) VALUES ($1, 'user', $1, 'created', $2)"
    ).bind(admin_id).bind(archived.start_ms() + 1).execute(pool).await.map(|_| ()))
    .unwrap();
    app::audit::archive::archive_month(
        &app.db,
        &app.state.settings.audit_archive_dir,
        archived,
        Some(admin_id),
    )
    .await
    .unwrap();
    let mut world = World {
        team_a,
        stages_a: teams::team_stages(&app.db, team_a)
            .await
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect(),
        t1,
        cara,
        acme,
        admin_id,
        agent_a_id: ids[Caller::AgentA as usize],
        canned_a: 0,
        reply_file: (0, String::new()),
        note_file: (0, String::new()),
        emails,
        cookies,
        hash,
        next: AtomicU32::new(1),
    };
    let t1 = world.t1.id;
    crate::common::ticket_for(
        &app.db,
        admin_id,
        team_a,
        customer_ids[Caller::OtherCustomer as usize],
        TITLE_T2,
    )
    .await;
    let mut files = Vec::new();
    for (kind, body, name) in [
        ("reply", "We are looking into it.", "public-log.txt"),
        ("note", NOTE, NOTE_FILE),
    ] {
        let up = app
            .upload(t1, name, "text/plain", b"file".to_vec(), Some(&admin))
            .await;
        assert_eq!(up.status, 200, "{}", up.body);
        let id = up.json()["id"].as_i64().unwrap();
        let r = app
            .call(
                "/api/tickets/messages/post",
                &[
                    ("ticket_id", &t1.to_string()),
                    ("kind", kind),
                    ("body", body),
                    ("attachment_ids[]", &id.to_string()),
                ],
                Some(&admin),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        files.push((id, name.to_string()));
    }
    world.reply_file = files[0].clone();
    world.note_file = files[1].clone();
    world.canned_a = app::teams::canned::store::create(
        &app.db,
        admin_id,
        team_a,
        "Greeting",
        "Hello {{customer}}",
    )
    .await
    .unwrap();
    world
}

/// The form for one call of `path` by `caller`: valid arguments for a real record,
/// made fresh where the call would use it up. `None`: the path has no row.
async fn arguments(
    app: &TestApp,
    w: &World,
    path: &str,
    caller: Caller,
) -> Option<Vec<(&'static str, String)>> {
    let t1 = w.t1.id.to_string();
    let n1 = w.t1.number.to_string();
    let team_a = w.team_a.to_string();
    let admin = w.cookies[Caller::Admin as usize].as_deref();
    let args: Vec<(&'static str, String)> = match path {
        "/api/session"
        | "/api/logout"
        | "/api/verify/resend"
        | "/api/admin/people"
        | "/api/admin/outbox"
        | "/api/admin/audit/archives"
        | "/api/admin/teams"
        | "/api/tickets/options"
        | "/api/portal/new-form" => vec![],
        "/api/login" => {
            let who = if caller == Caller::Anonymous {
                Caller::Customer
            } else {
                caller
            };
            vec![
                ("email", w.emails[who as usize].into()),
                ("password", w.password(who).into()),
            ]
        }
        "/api/setup" => vec![
            ("name", "Eve Intruder".into()),
            ("email", format!("eve{}@example.com", w.fresh())),
            ("password", "a long enough password".into()),
            ("confirm", "a long enough password".into()),
        ],
        "/api/register" => vec![
            ("name", "New Comer".into()),
            ("email", format!("someone{}@example.com", w.fresh())),
        ],
        "/api/register/check" => vec![("token", w.registration_token(app).await)],
        "/api/register/finish" => vec![
            ("token", w.registration_token(app).await),
            ("password", "a long enough password".into()),
            ("confirm", "a long enough password".into()),
        ],
        "/api/password/forgot" => vec![("email", format!("forgetful{}@example.com", w.fresh()))],
        "/api/password/reset/check" => vec![("token", w.reset_token(app).await)],
        "/api/password/reset" => vec![
            ("token", w.reset_token(app).await),
            ("password", "a new long password".into()),
            ("confirm", "a new long password".into()),
        ],
        "/api/account/time-zone" => vec![("zone", "Europe/Berlin".into())],
        "/api/admin/people/create" => vec![
            ("name", "New Agent".into()),
            ("email", format!("hire{}@example.com", w.fresh())),
            ("role", "agent".into()),
            ("password", STAFF_PASSWORD.into()),
            ("confirm", STAFF_PASSWORD.into()),
        ],
        "/api/admin/people/role" => vec![
            (
                "user_id",
                w.user(app, app::auth::Role::Agent).await.0.to_string(),
            ),
            ("role", "lead".into()),
        ],
        "/api/admin/people/active" => vec![
            (
                "user_id",
                w.user(app, app::auth::Role::Agent).await.0.to_string(),
            ),
            ("active", "false".into()),
        ],
        "/api/admin/customers" => vec![("text", String::new())],
        "/api/admin/audit" => vec![
            ("who", String::new()),
            ("entity", "ticket".into()),
            ("field", String::new()),
            ("from", String::new()),
            ("to", String::new()),
        ],
        "/api/admin/audit/retention" => vec![("months", "120".into())],
        // ARCHIVED, archived when the world was made: restored or archived again
        // (either works whatever the other did before).
        "/api/admin/audit/restore" | "/api/admin/audit/archive" => {
            vec![("month", ARCHIVED.into())]
        }
        "/api/admin/customers/company" => {
            let email = format!("walkin{}@example.com", w.fresh());
            let id = customers::create_customer(
                &app.db,
                &PersonName::parse("Walk In").unwrap(),
                &Email::parse(&email).unwrap(),
                None,
            )
            .await
            .unwrap();
            vec![("customer_id", id.to_string()), ("company", ACME.into())]
        }
        "/api/admin/teams/create" => vec![("name", format!("Team {}", w.fresh()))],
        "/api/admin/teams/rename" | "/api/admin/teams/archive" | "/api/admin/teams/member" => {
            let team = teams::create_team(&app.db, &format!("Team {}", w.fresh()))
                .await
                .unwrap()
                .to_string();
            match path {
                "/api/admin/teams/rename" => {
                    vec![
                        ("team_id", team),
                        ("name", format!("Renamed {}", w.fresh())),
                    ]
                }
                "/api/admin/teams/archive" => vec![("team_id", team), ("archived", "true".into())],
                _ => vec![
                    ("team_id", team),
                    ("user_id", w.agent_a_id.to_string()),
                    ("add", "true".into()),
                ],
            }
        }
        "/api/admin/teams/portal" => vec![("team_id", team_a), ("accepts", "true".into())],
        "/api/team/settings" => vec![("team", team_a)],
        "/api/team/stages/add" => vec![
            ("team_id", team_a),
            ("name", format!("Added {}", w.fresh())),
            ("kind", "open".into()),
            ("wip_limit", String::new()),
        ],
        "/api/team/stages/update" => vec![
            ("stage_id", w.stage(app).await.to_string()),
            ("name", format!("Updated {}", w.fresh())),
            ("kind", "open".into()),
            ("wip_limit", "5".into()),
        ],
        "/api/team/stages/move" => vec![
            ("stage_id", w.stage(app).await.to_string()),
            ("direction", "up".into()),
        ],
        "/api/team/stages/remove" => vec![("stage_id", w.stage(app).await.to_string())],
        "/api/canned/create" => vec![
            ("team", team_a),
            ("title", format!("Canned {}", w.fresh())),
            ("body", "Thanks for waiting.".into()),
        ],
        "/api/canned/update" => vec![
            ("id", w.canned_a.to_string()),
            ("title", "Greeting".into()),
            ("body", "Hello again {{customer}}".into()),
        ],
        "/api/canned/delete" => {
            let id = app::teams::canned::store::create(
                &app.db,
                w.admin_id,
                w.team_a,
                &format!("Old {}", w.fresh()),
                "Bye",
            )
            .await
            .unwrap();
            vec![("id", id.to_string())]
        }
        "/api/canned/list" => vec![("team", team_a)],
        "/api/canned/fill" => vec![("id", w.canned_a.to_string()), ("ticket_id", t1)],
        "/api/board" | "/api/tickets/list" => vec![("team", team_a)],
        "/api/board/move" => vec![
            ("ticket_id", w.ticket(app).await.id.to_string()),
            ("stage_id", w.stages_a[1].to_string()),
        ],
        "/api/tickets/bulk" => vec![
            ("team", team_a),
            ("ids[]", t1),
            ("action", "priority".into()),
            ("priority", "high".into()),
        ],
        "/api/tickets/create" => vec![
            ("title", format!("Created {}", w.fresh())),
            ("description", "Made by the matrix.".into()),
            ("customer_email", w.emails[Caller::Customer as usize].into()),
            ("customer_name", "Customer Person".into()),
            ("company", String::new()),
            ("team", team_a),
            ("priority", "normal".into()),
            ("assignee", String::new()),
            ("tags", String::new()),
            ("due", String::new()),
        ],
        "/api/tickets/get" => vec![("number", n1)],
        "/api/tickets/update" => {
            let now = store::find_ticket(&app.db, w.t1.id).await.unwrap().unwrap();
            vec![
                ("ticket_id", t1),
                ("seen", now.updated_at.to_string()),
                ("title", now.title.clone()),
                ("description", now.description.clone()),
                ("stage", now.stage_id.to_string()),
                ("priority", "high".into()),
                ("assignee", String::new()),
                ("tags", String::new()),
                ("due", String::new()),
            ]
        }
        "/api/tickets/side" => vec![("ticket_id", t1)],
        "/api/tickets/merge" => {
            let from = w.ticket(app).await;
            let into = w.ticket(app).await;
            vec![
                ("ticket_id", from.id.to_string()),
                ("into", into.number.to_string()),
                ("confirm", "yes".into()),
            ]
        }
        "/api/tickets/link" => vec![
            ("ticket_id", w.ticket(app).await.id.to_string()),
            ("other", n1),
            ("relation", "related".into()),
        ],
        "/api/tickets/unlink" => {
            let other = w.ticket(app).await;
            let r = app
                .call(
                    "/api/tickets/link",
                    &[
                        ("ticket_id", &other.id.to_string()),
                        ("other", &n1),
                        ("relation", "related"),
                    ],
                    admin,
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            vec![("ticket_id", other.id.to_string()), ("other_id", t1)]
        }
        "/api/tickets/messages/post" => vec![
            ("ticket_id", t1),
            ("kind", "reply".into()),
            ("body", "An answer from the matrix.".into()),
        ],
        "/api/tickets/messages/delete" => {
            let r = app
                .call(
                    "/api/tickets/messages/post",
                    &[
                        ("ticket_id", &t1),
                        ("kind", "note"),
                        ("body", "A passing note."),
                    ],
                    admin,
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            vec![("message_id", r.json()["id"].as_i64().unwrap().to_string())]
        }
        "/api/tickets/attachments/discard" => {
            let agent = w.cookies[Caller::AgentA as usize].as_deref();
            let up = app
                .upload(w.t1.id, "pending.txt", "text/plain", b"p".to_vec(), agent)
                .await;
            assert_eq!(up.status, 200, "{}", up.body);
            vec![(
                "attachment_id",
                up.json()["id"].as_i64().unwrap().to_string(),
            )]
        }
        "/api/drafts/save" => vec![
            ("scope", format!("ticket:{t1}")),
            ("content", "Half an answer".into()),
            ("saved_at", app::store::now_ms().to_string()),
        ],
        "/api/drafts/discard" => vec![("scope", format!("ticket:{t1}"))],
        "/api/time/start" | "/api/time/stop" => vec![("ticket_id", t1)],
        "/api/time/add" => vec![
            ("ticket_id", t1),
            ("minutes", "15".into()),
            ("day", String::new()),
            ("note", "Looked at it.".into()),
        ],
        "/api/customers/search" => vec![("q", "Customer".into())],
        "/api/search" => vec![("q", format!("#{n1}"))],
        "/api/customers/list" => vec![
            ("q", "Cara".into()),
            ("company", String::new()),
            ("owner", String::new()),
            ("open", "true".into()),
            ("tag", String::new()),
            ("from", String::new()),
            ("to", String::new()),
            ("sort", "name".into()),
        ],
        "/api/customers/owners" => vec![],
        "/api/customers/page" => vec![("id", w.cara.to_string())],
        "/api/customers/create" | "/api/customers/update" | "/api/customers/delete" => {
            let n = w.fresh();
            let mut args = vec![
                ("name", format!("Record {n}")),
                ("email", format!("record{n}@example.com")),
                ("aliases", String::new()),
                ("phone", "+1 555 0100".into()),
                ("time_zone", "Europe/Berlin".into()),
                ("language", "en".into()),
                ("notes", "Called about the invoice.".into()),
                ("tags", "vip".into()),
                ("company", String::new()),
                ("owner", String::new()),
            ];
            if path != "/api/customers/create" {
                let email = format!("existing{n}@example.com");
                let id = customers::create_customer(
                    &app.db,
                    &PersonName::parse("Existing Record").unwrap(),
                    &Email::parse(&email).unwrap(),
                    None,
                )
                .await
                .unwrap();
                if path == "/api/customers/delete" {
                    return Some(vec![("id", id.to_string())]);
                }
                let version = customers::customer_record(&app.db, id)
                    .await
                    .unwrap()
                    .updated_at;
                args.push(("id", id.to_string()));
                args.push(("version", version.to_string()));
            }
            args
        }
        "/api/customers/duplicates" => vec![],
        "/api/customers/merge" | "/api/customers/merge-undo" => {
            // Two fresh customers, the second merged into the first by the call (or
            // before it, for the undo).
            let n = w.fresh();
            let mut pair = [0i64; 2];
            for (i, id) in pair.iter_mut().enumerate() {
                *id = customers::create_customer(
                    &app.db,
                    &PersonName::parse("Twin Person").unwrap(),
                    &Email::parse(&format!("twin{n}.{i}@example.com")).unwrap(),
                    None,
                )
                .await
                .unwrap();
            }
            if path == "/api/customers/merge" {
                vec![
                    ("id", pair[0].to_string()),
                    ("other", format!("twin{n}.1@example.com")),
                    ("confirm", "on".into()),
                ]
            } else {
                let merge =
                    app::customers::merge::merge_customers(&app.db, w.admin_id, pair[0], pair[1])
                        .await
                        .unwrap();
                vec![("merge", merge.to_string())]
            }
        }
        "/api/companies/list" => vec![
            ("q", "Company".into()),
            ("owner", String::new()),
            ("tag", String::new()),
        ],
        "/api/companies/page" => vec![("id", w.acme.to_string())],
        "/api/companies/create"
        | "/api/companies/update"
        | "/api/companies/delete"
        | "/api/companies/member"
        | "/api/companies/member-remove" => {
            let n = w.fresh();
            let mut args = vec![
                ("name", format!("Company Record {n}")),
                ("domains", format!("record{n}.example")),
                ("auto_join", "on".into()),
                ("notes", "Pays yearly.".into()),
                ("tags", "b2b".into()),
                ("owner", String::new()),
            ];
            if path == "/api/companies/create" {
                return Some(args);
            }
            let id = customers::create_company(&app.db, &format!("Existing Company {n}"))
                .await
                .unwrap();
            // A customer of no company yet, added by the call or removed by it.
            let email = format!("member{n}@example.com");
            let in_company = (path == "/api/companies/member-remove").then_some(id);
            let member = customers::create_customer(
                &app.db,
                &PersonName::parse("Member Person").unwrap(),
                &Email::parse(&email).unwrap(),
                in_company,
            )
            .await
            .unwrap();
            match path {
                "/api/companies/delete" => return Some(vec![("id", id.to_string())]),
                "/api/companies/member" => {
                    return Some(vec![
                        ("id", id.to_string()),
                        ("email", email),
                        ("role", "member".into()),
                    ])
                }
                "/api/companies/member-remove" => {
                    return Some(vec![
                        ("id", id.to_string()),
                        ("customer", member.to_string()),
                    ]);
                }
                _ => {}
            }
            let version = app::companies::store::company_record(&app.db, id)
                .await
                .unwrap()
                .updated_at;
            args.push(("id", id.to_string()));
            args.push(("version", version.to_string()));
            args
        }
        "/api/portal/home" => vec![
            ("status", "all".into()),
            ("sort", String::new()),
            ("text", String::new()),
            ("after", String::new()),
        ],
        "/api/portal/ticket" => vec![("number", n1)],
        "/api/portal/close" | "/api/portal/reopen" => {
            let t = w.ticket(app).await;
            if path == "/api/portal/reopen" {
                let cust = w.cookies[Caller::Customer as usize].as_deref();
                let r = app
                    .call(
                        "/api/portal/close",
                        &[("number", &t.number.to_string())],
                        cust,
                    )
                    .await;
                assert_eq!(r.status, 200, "{}", r.body);
            }
            vec![("number", t.number.to_string())]
        }
        _ => return None,
    };
    Some(args)
}

/// Calls the page, or the route named `row` (method and pattern), for `caller`.
async fn visit(app: &TestApp, w: &World, row: &str, caller: Caller, ip: &str) -> Option<Reply> {
    let cookie = w.cookies[caller as usize].as_deref();
    let n1 = w.t1.number;
    let r = match row {
        "/setup" | "/login" | "/board" | "/command" | "/tickets" | "/tickets/new"
        | "/customers" | "/companies" | "/team" | "/admin" | "/portal" | "/portal/new"
        | "/portal/register" | "/forgot" | "/" => page(app, row, cookie, ip).await,
        "/tickets/{number}" => page(app, &format!("/tickets/{n1}"), cookie, ip).await,
        "/search" => page(app, &format!("/search?q=%23{n1}"), cookie, ip).await,
        "/customers/{*any}" => {
            let paths = [
                "/customers/new".to_string(),
                format!("/customers/{}", w.cara),
                "/customers/duplicates".to_string(),
            ];
            pages_alike(app, &paths, cookie, ip).await
        }
        "/companies/{*any}" => {
            let paths = [
                "/companies/new".to_string(),
                format!("/companies/{}", w.acme),
            ];
            pages_alike(app, &paths, cookie, ip).await
        }
        "/admin/{*any}" => {
            let paths =
                ["people", "teams", "customers", "outbox", "audit"].map(|p| format!("/admin/{p}"));
            pages_alike(app, &paths, cookie, ip).await
        }
        "/portal/tickets/{number}" => page(app, &format!("/portal/tickets/{n1}"), cookie, ip).await,
        "/portal/verify" => {
            let token = w.registration_token(app).await;
            page(app, &format!("/portal/verify?token={token}"), cookie, ip).await
        }
        "/reset" => {
            let token = w.reset_token(app).await;
            page(app, &format!("/reset?token={token}"), cookie, ip).await
        }
        "GET /healthz" => page(app, "/healthz", cookie, ip).await,
        "GET /admin/audit.csv" => page(app, "/admin/audit.csv?entity=ticket", cookie, ip).await,
        "GET /admin/audit/archives/{month}" => {
            page(
                app,
                &format!("/admin/audit/archives/{ARCHIVED}"),
                cookie,
                ip,
            )
            .await
        }
        "POST /attachments" => {
            app.upload(w.t1.id, "added.txt", "text/plain", b"a".to_vec(), cookie)
                .await
        }
        "GET /attachments/{id}/{name}" => {
            let (id, name) = &w.reply_file;
            page(app, &format!("/attachments/{id}/{name}"), cookie, ip).await
        }
        "GET /attachments/{id}/{name} (internal note's)" => {
            let (id, name) = &w.note_file;
            page(app, &format!("/attachments/{id}/{name}"), cookie, ip).await
        }
        "POST /portal/new" => {
            let team = w.team_a.to_string();
            crate::portal::post_multipart(
                app,
                "/portal/new",
                &[
                    ("title", "Asked in the portal"),
                    ("description", "Please help."),
                    ("priority", "normal"),
                    ("team", &team),
                ],
                &[],
                cookie,
            )
            .await
        }
        "POST /portal/tickets/{number}/reply" => {
            crate::portal::post_multipart(
                app,
                &format!("/portal/tickets/{n1}/reply"),
                &[("body", "A reply from the portal.")],
                &[],
                cookie,
            )
            .await
        }
        _ => return None,
    };
    Some(r)
}

fn outcome(row: &str, r: &Reply) -> String {
    let code = r.status.as_u16();
    if r.status.is_redirection() {
        let to = r.location().unwrap_or_default();
        if to.starts_with("/login") {
            return "login".into();
        }
        if row.starts_with("POST ") && !to.contains("submitted=1") && !to.contains("sent=1") {
            return "back".into();
        }
        return "ok".into();
    }
    if r.status.is_success() {
        return "ok".into();
    }
    code.to_string()
}

/// The routes the router declares besides the app's pages and server functions, read
/// from its source (axum cannot list them), as "METHOD /pattern".
fn declared_routes() -> BTreeSet<String> {
    let source = include_str!("../../src/lib.rs");
    let mut out = BTreeSet::new();
    let mut rest = source;
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + 7..];
        let Some(open) = rest.find('"') else { break };
        let tail = &rest[open + 1..];
        let close = tail.find('"').unwrap();
        let path = &tail[..close];
        let after = &tail[close..];
        let first = |m: &str| after.find(m).unwrap_or(usize::MAX);
        let method = if first("get(") < first("post(") {
            "GET"
        } else {
            "POST"
        };
        out.insert(format!("{method} {path}"));
    }
    out
}

async fn every_function_page_and_route_answers_each_kind_of_caller_as_the_matrix_says(
    app: &TestApp,
) {
    let w = build_world(app).await;
    // Every server function, page and route has a row.
    let mut functions: Vec<&'static str> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path)
        .collect();
    functions.sort();
    functions.dedup();
    let pages: BTreeSet<String> = server::route_list()
        .iter()
        .map(|r| r.path().to_string())
        .collect();
    let rows: BTreeSet<&str> = MATRIX.iter().map(|(row, _)| *row).collect();
    let missing: Vec<String> = functions
        .iter()
        .map(|f| f.to_string())
        .chain(pages.iter().cloned())
        .chain(declared_routes())
        .filter(|p| !rows.contains(p.as_str()))
        .collect();
    assert!(missing.is_empty(), "no row in the matrix for {missing:?}");

    let mut failures = Vec::new();
    let mut leaks = Vec::new();
    let mut calls = 0;
    for (row, expected) in MATRIX {
        let expected: Vec<&str> = expected.split_whitespace().collect();
        assert_eq!(
            expected.len(),
            CALLERS.len(),
            "{row}: one outcome per column"
        );
        let mut got = Vec::new();
        for caller in CALLERS {
            calls += 1;
            let ip = format!(
                "10.{}.{}.{}",
                caller as u8,
                (calls / 250) % 250,
                calls % 250
            );
            let r = if row.starts_with("/api/") {
                let Some(form) = arguments(app, &w, row, caller).await else {
                    panic!("{row}: the matrix has no arguments for it");
                };
                let session_changing = matches!(
                    *row,
                    "/api/login" | "/api/logout" | "/api/register/finish" | "/api/password/reset"
                );
                let cookie = if session_changing {
                    w.fresh_session(app, caller, &ip).await
                } else {
                    w.cookies[caller as usize].clone()
                };
                send(app, row, &form, cookie.as_deref(), &ip).await
            } else {
                visit(app, &w, row, caller, &ip)
                    .await
                    .unwrap_or_else(|| panic!("{row}: the matrix cannot call it"))
            };
            assert!(
                !r.status.is_server_error(),
                "{row} as {caller:?}: {} {}",
                r.status,
                &r.body[..r.body.len().min(300)]
            );
            for secret in forbidden(caller) {
                if r.body.contains(secret) {
                    leaks.push(format!("{row} gave {caller:?} {secret:?}"));
                }
            }
            got.push(outcome(row, &r));
        }
        if got != expected {
            failures.push(format!(
                "{row}\n    expected {}\n    got      {}",
                expected.join(" "),
                got.join(" ")
            ));
        }
    }
    assert!(
        failures.is_empty() && leaks.is_empty(),
        "columns: {COLUMNS}\n{}\nleaks:\n{}",
        failures.join("\n"),
        leaks.join("\n")
    );
    println!(
        "permission matrix: {} rows ({} server functions, {} pages, {} for the other routes) x {} kinds of caller = {calls} calls, no leak",
        MATRIX.len(),
        functions.len(),
        pages.len(),
        MATRIX.len() - functions.len() - pages.len(),
        CALLERS.len()
    );
}
