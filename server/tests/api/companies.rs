//! Company records on both backends, through the real router: domains that belong to
//! one company and bring new customers in, members and roles with the primary company
//! following every change, every change audited with where it came from, the list's
//! search, and deletion that never strands a ticket.

use app::auth::model::{Email, PersonName};
use app::companies::model::CompanyFilter;
use app::companies::store as companies;
use app::customers::model::{CustomerFields, TypedCustomer};
use app::customers::store::{self as customers, Placement};
use http::StatusCode;

use crate::common::{ticket_for, TestApp};
use crate::customers::call_from;
use crate::on_both_backends;

on_both_backends!(
    a_domain_belongs_to_one_company_and_brings_new_customers_in_when_asked,
    members_roles_and_the_primary_company_follow_each_change_audited,
    the_list_finds_companies_by_name_domain_and_notes_and_filters_by_owner,
    a_company_a_ticket_is_for_is_not_deleted,
);

/// Adds a company through its server function from `ip`: its id, or the refusal.
async fn create(
    app: &TestApp,
    cookie: &str,
    name: &str,
    domains: &str,
    auto_join: bool,
) -> Result<i64, app::error::AppError> {
    let mut form = vec![
        ("name", name),
        ("domains", domains),
        ("notes", ""),
        ("tags", ""),
        ("owner", ""),
    ];
    if auto_join {
        form.push(("auto_join", "on"));
    }
    let r = call_from(
        app,
        "/api/companies/create",
        &form,
        cookie,
        "203.0.113.7",
        "CompanyTest/1.0",
    )
    .await;
    if r.status != StatusCode::OK {
        return Err(serde_json::from_str(&r.body).expect("an AppError"));
    }
    let id = app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT id FROM companies WHERE name = $1")
        .bind(name).fetch_one(pool).await)
    .unwrap();
    Ok(id)
}

fn person(name: &str, email: &str) -> CustomerFields {
    CustomerFields::parse(&TypedCustomer {
        name,
        email,
        ..Default::default()
    })
    .unwrap()
}

async fn admin_id(app: &TestApp) -> i64 {
    app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT id FROM users WHERE role = 'admin'")
        .fetch_one(pool).await)
    .unwrap()
}

async fn a_domain_belongs_to_one_company_and_brings_new_customers_in_when_asked(app: &TestApp) {
    let admin = app.setup_admin().await;
    let actor = admin_id(app).await;
    let acme = create(app, &admin, "Acme", "acme.test\n@Mail.Acme.test", true)
        .await
        .unwrap();
    create(app, &admin, "Quiet Corp", "quiet.test", false)
        .await
        .unwrap();
    // Another company cannot take a domain, whatever its case; nothing is written.
    let e = create(app, &admin, "Copycat", "ACME.test", false)
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("domains"));
    assert!(e.to_string().contains("Acme"), "{e}");
    let e = create(app, &admin, "acme", "", false).await.unwrap_err();
    assert_eq!(e.field(), Some("name"));
    let found: i64 =
        app::db!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM companies")
        .fetch_one(pool).await)
        .unwrap();
    assert_eq!(found, 2);
    // Joining by domain needs a domain to join by.
    let e = create(app, &admin, "Nowhere", "", true).await.unwrap_err();
    assert_eq!(e.field(), Some("domains"));

    // A new customer at a domain of a company that takes its people joins it, as a
    // member with it as their primary company; their tickets are for it.
    let wile = customers::create_customer_record(
        &app.db,
        actor,
        &person("Wile Coyote", "wile@mail.acme.test"),
        Placement {
            company: "",
            owner_id: None,
        },
    )
    .await
    .unwrap();
    let joined = companies::memberships(&app.db, wile).await.unwrap();
    assert_eq!(joined.len(), 1);
    assert_eq!(
        (
            joined[0].company_id,
            joined[0].role.as_str(),
            joined[0].primary_company
        ),
        (acme, "member", true)
    );
    let team = app::teams::store::default_team_id(&app.db).await.unwrap();
    let t = ticket_for(&app.db, actor, team, wile, "Rocket skates").await;
    let for_company: Option<i64> = app::db!(&app.db, pool => sqlx::query_scalar::<_, Option<i64>>(
        "SELECT company_id FROM tickets WHERE id = $1").bind(t.id).fetch_one(pool).await)
    .unwrap();
    assert_eq!(for_company, Some(acme));
    // A company that does not take its domain's people, and a lookalike domain: no
    // membership. Any way of adding a customer joins by domain (here the one New
    // ticket and mail use).
    let alone = |email: &'static str| async move {
        let id = customers::create_customer(
            &app.db,
            &PersonName::parse("Someone Else").unwrap(),
            &Email::parse(email).unwrap(),
            None,
        )
        .await
        .unwrap();
        companies::memberships(&app.db, id)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.company_id)
            .collect::<Vec<_>>()
    };
    assert_eq!(alone("q@quiet.test").await, Vec::<i64>::new());
    assert_eq!(alone("x@notacme.test").await, Vec::<i64>::new());
    assert_eq!(alone("r@acme.test").await, [acme]);
    // A company typed for the customer wins over the domain.
    let roadrunner = customers::create_customer_record(
        &app.db,
        actor,
        &person("Road Runner", "road@acme.test"),
        Placement {
            company: "Roadrunner Inc",
            owner_id: None,
        },
    )
    .await
    .unwrap();
    let m = companies::memberships(&app.db, roadrunner).await.unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].name, "Roadrunner Inc");
}

async fn members_roles_and_the_primary_company_follow_each_change_audited(app: &TestApp) {
    let admin = app.setup_admin().await;
    let actor = admin_id(app).await;
    let north = create(app, &admin, "North", "", false).await.unwrap();
    let south = create(app, &admin, "South", "", false).await.unwrap();
    let nia = customers::create_customer_record(
        &app.db,
        actor,
        &person("Nia North", "nia@example.com"),
        Placement {
            company: "",
            owner_id: None,
        },
    )
    .await
    .unwrap();
    // Added by an alias as well as by the primary address: the first company she
    // joins becomes her primary one, the second does not.
    app::db!(&app.db, pool => sqlx::query("INSERT INTO customer_emails (email, customer_id, created_at) VALUES ('nia@home.example', $1, 0)")
        .bind(nia).execute(pool).await.map(|_| ()))
    .unwrap();
    let add = |company: i64, email: &'static str, role: &'static str| {
        let admin = admin.clone();
        async move {
            call_from(
                app,
                "/api/companies/member",
                &[
                    ("id", &company.to_string()),
                    ("email", email),
                    ("role", role),
                ],
                &admin,
                "198.51.100.9",
                "MemberTest/2.0",
            )
            .await
        }
    };
    assert_eq!(
        add(north, "nia@home.example", "member").await.status,
        StatusCode::OK
    );
    assert_eq!(
        add(south, "NIA@example.com", "manager").await.status,
        StatusCode::OK
    );
    let m = companies::memberships(&app.db, nia).await.unwrap();
    let shape: Vec<(&str, &str, bool)> = m
        .iter()
        .map(|m| (m.name.as_str(), m.role.as_str(), m.primary_company))
        .collect();
    assert_eq!(
        shape,
        [("North", "member", true), ("South", "manager", false)]
    );
    let record = customers::customer_record(&app.db, nia).await.unwrap();
    assert_eq!(record.company.as_deref(), Some("North"));
    // The customer list's search finds her by either company, not only the primary.
    assert_eq!(
        crate::customers::found(app, "South", &admin).await,
        ["Nia North"]
    );
    // An agent adds members but cannot make anyone a manager (who would see the
    // company's tickets): refused next to the role, nothing written.
    let r = app
        .create_person(&admin, "Alan Agent", "alan@example.com", "agent")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let agent = app
        .signed_in("alan@example.com", crate::common::STAFF_PASSWORD)
        .await;
    let by_agent = |role: &'static str| {
        let agent = agent.clone();
        async move {
            app.call(
                "/api/companies/member",
                &[
                    ("id", &north.to_string()),
                    ("email", "nia@example.com"),
                    ("role", role),
                ],
                Some(&agent),
            )
            .await
        }
    };
    let r = by_agent("manager").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("\"role\""), "{}", r.body);
    assert_eq!(
        companies::memberships(&app.db, nia).await.unwrap()[0].role,
        "member"
    );
    assert_eq!(by_agent("member").await.status, StatusCode::OK);
    // Nobody with the address, and a role that is none, are refused next to their
    // fields.
    let r = add(north, "ghost@example.com", "member").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("\"email\""), "{}", r.body);
    let r = add(north, "nia@example.com", "owner").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // A role change is one audit row; the membership is audited on both records, with
    // the client's address and user agent.
    assert_eq!(
        add(north, "nia@example.com", "manager").await.status,
        StatusCode::OK
    );
    type Row = (
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = app::db!(&app.db, pool => sqlx::query_as(
        "SELECT action, field, new_value, client_ip, user_agent FROM audit_log
          WHERE entity = 'company' AND entity_id = $1 ORDER BY id").bind(north).fetch_all(pool).await)
    .unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(actions, ["created", "member_added", "updated"]);
    assert_eq!(rows[2].1.as_deref(), Some("role"));
    assert!(rows[2].2.as_deref().unwrap().contains("(manager)"));
    assert_eq!(rows[1].3.as_deref(), Some("198.51.100.9"));
    assert_eq!(rows[1].4.as_deref(), Some("MemberTest/2.0"));
    let on_customer = app::audit::audit_for(&app.db, "customer", nia)
        .await
        .unwrap();
    assert_eq!(
        on_customer
            .iter()
            .filter(|a| a.field.as_deref() == Some("companies"))
            .count(),
        2
    );
    // Removing her from her primary company makes her other company the primary one.
    let r = call_from(
        app,
        "/api/companies/member-remove",
        &[("id", &north.to_string()), ("customer", &nia.to_string())],
        &admin,
        "198.51.100.9",
        "MemberTest/2.0",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let m = companies::memberships(&app.db, nia).await.unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!((m[0].company_id, m[0].primary_company), (south, true));
    assert_eq!(m[0].role, "manager", "the membership kept its role");
    // Typing another primary company on her record moves that membership: a member
    // of the new one, never its manager by the move.
    let mut fields = person("Nia North", "nia@example.com");
    fields.aliases = vec!["nia@home.example".into()];
    let version = customers::customer_record(&app.db, nia)
        .await
        .unwrap()
        .updated_at;
    customers::update_customer_record(
        &app.db,
        actor,
        nia,
        version,
        &fields,
        Placement {
            company: "north",
            owner_id: None,
        },
    )
    .await
    .unwrap();
    let m = companies::memberships(&app.db, nia).await.unwrap();
    let shape: Vec<(i64, &str, bool)> = m
        .iter()
        .map(|m| (m.company_id, m.role.as_str(), m.primary_company))
        .collect();
    assert_eq!(shape, [(north, "member", true)]);
    // Deleting the customer ends every membership.
    customers::delete_customer_record(&app.db, actor, nia)
        .await
        .unwrap();
    assert!(companies::company_members(&app.db, north)
        .await
        .unwrap()
        .is_empty());
}

async fn the_list_finds_companies_by_name_domain_and_notes_and_filters_by_owner(app: &TestApp) {
    let _admin = app.setup_admin().await;
    let actor = admin_id(app).await;
    let make = |name: &'static str,
                domains: &'static str,
                notes: &'static str,
                owner: Option<i64>| async move {
        let fields =
            app::companies::model::CompanyFields::parse(name, domains, false, notes, "").unwrap();
        companies::create_company_record(&app.db, actor, &fields, owner)
            .await
            .unwrap()
    };
    let umbrella = make("Umbrella", "umbrella.test", "", Some(actor)).await;
    let cyberdyne = make("Cyberdyne Systems", "skynet.test", "", None).await;
    let tyrell = make("Tyrell", "", "Makes replicants", None).await;
    let names = |filter: CompanyFilter| async move {
        companies::list_companies(&app.db, &filter, actor, None, 50)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect::<Vec<_>>()
    };
    let by = |q: &str| CompanyFilter {
        q: q.into(),
        ..Default::default()
    };
    assert_eq!(names(by("systems")).await, [cyberdyne]);
    assert_eq!(names(by("skynet")).await, [cyberdyne]);
    // Words joined by punctuation are found as written.
    assert_eq!(names(by("skynet.test")).await, [cyberdyne]);
    assert_eq!(names(by("cyberdyne-systems")).await, [cyberdyne]);
    assert_eq!(names(by("replicants")).await, [tyrell]);
    assert_eq!(names(by("-skynet")).await, [tyrell, umbrella]);
    assert_eq!(
        names(CompanyFilter {
            owner: "me".into(),
            ..Default::default()
        })
        .await,
        [umbrella]
    );
    // Paging by name continues after the last row, without gaps.
    let first = companies::list_companies(&app.db, &CompanyFilter::default(), actor, None, 2)
        .await
        .unwrap();
    let rest = companies::list_companies(
        &app.db,
        &CompanyFilter::default(),
        actor,
        Some(first[1].id),
        2,
    )
    .await
    .unwrap();
    let all: Vec<i64> = first.iter().chain(rest.iter()).map(|r| r.id).collect();
    assert_eq!(all, [cyberdyne, tyrell, umbrella]);
    let bad = companies::list_companies(
        &app.db,
        &CompanyFilter {
            owner: "someone".into(),
            ..Default::default()
        },
        actor,
        None,
        2,
    )
    .await
    .unwrap_err();
    assert_eq!(bad.field(), Some("owner"));
}

async fn a_company_a_ticket_is_for_is_not_deleted(app: &TestApp) {
    let admin = app.setup_admin().await;
    let actor = admin_id(app).await;
    let busy = create(app, &admin, "Busy", "busy.test", true)
        .await
        .unwrap();
    let idle = create(app, &admin, "Idle", "idle.test", true)
        .await
        .unwrap();
    let mina = customers::create_customer(
        &app.db,
        &PersonName::parse("Mina Busy").unwrap(),
        &Email::parse("mina@busy.test").unwrap(),
        None,
    )
    .await
    .unwrap();
    let ida = customers::create_customer(
        &app.db,
        &PersonName::parse("Ida Idle").unwrap(),
        &Email::parse("ida@idle.test").unwrap(),
        None,
    )
    .await
    .unwrap();
    let team = app::teams::store::default_team_id(&app.db).await.unwrap();
    ticket_for(&app.db, actor, team, mina, "Busy work").await;
    let r = app
        .call(
            "/api/companies/delete",
            &[("id", &busy.to_string())],
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(
        companies::company_members(&app.db, busy)
            .await
            .unwrap()
            .len(),
        1
    );
    // Without tickets it goes: its member has no company, its domain is free.
    let r = app
        .call(
            "/api/companies/delete",
            &[("id", &idle.to_string())],
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(companies::memberships(&app.db, ida)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        customers::customer_record(&app.db, ida)
            .await
            .unwrap()
            .company,
        None
    );
    assert!(create(app, &admin, "Idle Again", "idle.test", false)
        .await
        .is_ok());
    let trail = app::audit::audit_for(&app.db, "company", idle)
        .await
        .unwrap();
    assert_eq!(trail.last().map(|a| a.action.as_str()), Some("deleted"));
}
